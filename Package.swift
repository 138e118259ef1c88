// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "recon",
    products: [
        .executable(name: "recon", targets: ["recon"]),
        .library(name: "ReconCore", targets: ["ReconCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        .target(name: "CReconShim"),
        .target(
            name: "ReconCore",
            dependencies: ["CReconShim"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "recon",
            dependencies: [
                "ReconCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconTestSupport",
            dependencies: ["ReconCore"],
            path: "Tests/ReconTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconCoreTests",
            dependencies: ["ReconCore", "ReconTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconCLITests",
            dependencies: ["ReconCore", "ReconTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
