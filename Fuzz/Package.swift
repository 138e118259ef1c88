// swift-tools-version: 6.1
// libFuzzer targets for recon's parsers. A package of its own, so that the main build and its
// tests never need libFuzzer; `Fuzz/run.sh` builds it with the right flags and runs every target.
// See the README's "Fuzzing and property tests".
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Each target: (executable name, what it needs besides FuzzSupport).
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzPortList", [.product(name: "ReconCore", package: "recon")]),
    ("FuzzTargets", [.product(name: "ReconCore", package: "recon")]),
    ("FuzzScopePolicy", [.product(name: "ReconCore", package: "recon")]),
    ("FuzzServiceRules", [.product(name: "ReconCore", package: "recon")]),
    ("FuzzAuditRules", [.product(name: "ReconCore", package: "recon")]),
    ("FuzzWaivers", [.product(name: "ReconCore", package: "recon")]),
    ("FuzzNmapServiceProbes", [.product(name: "ReconCore", package: "recon")]),
    ("FuzzHTTPResponse", [.product(name: "ReconCore", package: "recon")]),
    (
        "FuzzNmapXML",
        [.product(name: "ReconCore", package: "recon"), .product(name: "ReconNmapXML", package: "recon")]
    ),
    ("FuzzTLSServerHello", ["ReconProbesTLS"]),
    (
        "FuzzPacketDecoder",
        [.product(name: "ReconCore", package: "recon"), .product(name: "ReconCapture", package: "recon")]
    ),
]

let package = Package(
    name: "recon-fuzz",
    products: fuzzTargets.map { .executable(name: $0.name, targets: [$0.name]) },
    dependencies: [
        // The recon package itself (this folder's parent), with packet capture on.
        .package(name: "recon", path: "..", traits: ["Capture"])
    ],
    targets: [
        // libFuzzer's LLVMFuzzerRunDriver declared for Swift, and memfd_create.
        .target(name: "CFuzzSupport"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzSupport"], swiftSettings: swiftSettings),
        // ReconProbes' ServerHello parser, compiled alone (a symbolic link to the very file): it
        // imports nothing, and the whole of ReconProbes would bring SwiftNIO and BoringSSL into
        // an instrumented release build, minutes more in CI for one 60-line function.
        .target(name: "ReconProbesTLS", swiftSettings: swiftSettings),
    ]
        + fuzzTargets.map {
            .executableTarget(
                name: $0.name, dependencies: ["FuzzSupport"] + $0.dependencies, swiftSettings: swiftSettings)
        }
)
