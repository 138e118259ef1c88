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
        .library(name: "ReconProbes", targets: ["ReconProbes"]),
        .library(name: "ReconCapture", targets: ["ReconCapture"]),
        .library(name: "ReconStore", targets: ["ReconStore"]),
        .library(name: "ReconRunner", targets: ["ReconRunner"]),
        .library(name: "ReconNmapXML", targets: ["ReconNmapXML"]),
    ],
    traits: [
        .trait(name: "Capture", description: "Packet capture of the scan's own handshakes (libpcap)."),
        .default(enabledTraits: ["Capture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The scan store: SQLite (default) and PostgreSQL.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Tests only: property-based tests on Swift Testing.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .target(name: "CReconShim"),
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        .executableTarget(name: "policy-embedder"),
        .plugin(name: "EmbedPolicies", capability: .buildTool(), dependencies: ["policy-embedder"]),
        .target(
            name: "ReconCore",
            dependencies: ["CReconShim", "CPCRE2"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedPolicies"]
        ),
        .target(
            name: "ReconProbes",
            dependencies: [
                "ReconCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconCapture",
            dependencies: ["ReconCore", .target(name: "CPcap", condition: .when(traits: ["Capture"]))],
            swiftSettings: swiftSettings
        ),
        // Report files in nmap's XML, read with Foundation's XMLParser (ReconCore links no XML parser).
        .target(name: "ReconNmapXML", dependencies: ["ReconCore"], swiftSettings: swiftSettings),
        .target(
            name: "ReconStore",
            dependencies: [
                "ReconCore",
                "ReconNmapXML",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconRunner",
            dependencies: [
                "ReconCore", "ReconProbes", "ReconStore", "CReconShim",
                .target(name: "ReconCapture", condition: .when(traits: ["Capture"])),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "recon",
            dependencies: [
                "ReconCore", "ReconRunner", "ReconStore", "CReconShim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconTestSupport",
            dependencies: ["ReconCore", "CReconShim"],
            path: "Tests/ReconTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconCoreTests",
            dependencies: [
                "ReconCore", "ReconTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconCaptureTests",
            dependencies: [
                .target(name: "ReconCapture", condition: .when(traits: ["Capture"])),
                "ReconCore",
                "ReconTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconStoreTests",
            dependencies: ["ReconStore", "ReconCore", "ReconTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconCLITests",
            dependencies: ["ReconCore", "ReconProbes", "ReconNmapXML", "ReconTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
