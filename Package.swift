// swift-tools-version:6.0
import PackageDescription

/// Vigil: stage targets are siblings over `VigilCore`; `VigilPipeline` wires them; `vigil` wires the pipeline.
let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // `tail --metrics-address`: Prometheus text format (swift-prometheus over swift-metrics) served by SwiftNIO.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // TLS to NATS (`tls://` URLs).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "VigilCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "VigilFraming", dependencies: ["VigilCore", "CZstd", "CZlib"]),
        .target(name: "VigilSources", dependencies: ["VigilCore"]),
        .target(name: "VigilParsing", dependencies: ["VigilCore"]),
        .target(name: "VigilBaseline", dependencies: ["VigilCore", .product(name: "DequeModule", package: "swift-collections")]),
        .target(name: "VigilScoring", dependencies: ["VigilCore"]),
        // Identity stitching: temporary credentials followed to the actor that minted them.
        .target(name: "VigilIdentity", dependencies: ["VigilCore"]),
        .target(name: "VigilDetection", dependencies: ["VigilCore", .product(name: "DequeModule", package: "swift-collections")]),
        .target(name: "VigilResponders", dependencies: ["VigilCore", .product(name: "Crypto", package: "swift-crypto"),
                                                       .product(name: "Yams", package: "Yams")]),
        // Sigma rules (YAML, via Yams) compiled into VigilDetection's rule values.
        .target(name: "VigilSigma", dependencies: ["VigilCore", "VigilDetection", .product(name: "Yams", package: "Yams")]),
        .target(name: "VigilState", dependencies: ["VigilCore", "CZstd", "CZlib"]),
        .target(name: "VigilSimulation", dependencies: ["VigilCore"]),
        // Reading logs where they are: S3 objects and SQS notifications, signed with SigV4.
        .target(name: "VigilAWS", dependencies: ["VigilCore", "VigilSources", .product(name: "Crypto", package: "swift-crypto")]),
        // `vigil report`: one self-contained HTML page of alerts, evidence and activity.
        .target(name: "VigilReport", dependencies: ["VigilCore", .product(name: "Crypto", package: "swift-crypto")]),
        // Operations: /metrics, /healthz and /readyz for a running `vigil tail`.
        .target(name: "VigilMetrics", dependencies: [
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // NATS and JetStream (scale-out groundwork): a small client on SwiftNIO, its own target so
        // no stage learns about the network and its build cost stays visible.
        .target(name: "VigilNATS", dependencies: [
            "VigilCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "VigilPipeline", dependencies: [.product(name: "DequeModule", package: "swift-collections"),
            "VigilCore", "VigilSources", "VigilFraming", "VigilParsing", "VigilBaseline",
            "VigilScoring", "VigilDetection", "VigilIdentity", "VigilResponders", "VigilState",
        ]),
        // Scale-out: `vigil route` and `vigil worker` wire the pipeline's engine to NATS JetStream.
        .target(name: "VigilCluster", dependencies: ["VigilCore", "VigilParsing", "VigilIdentity", "VigilPipeline", "VigilNATS"]),
        .executableTarget(name: "vigil", dependencies: [
            "VigilPipeline", "VigilCluster", "VigilNATS", "VigilSimulation", "VigilCore", "VigilDetection", "VigilResponders",
            "VigilSources", "VigilState", "VigilParsing", "VigilSigma", "VigilMetrics", "VigilReport", "VigilAWS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // libFuzzer harnesses (`make fuzz`); in ordinary builds, reproducers that run files once.
        .target(name: "VigilFuzzSupport", dependencies: ["VigilCore", "VigilParsing"]),
        .executableTarget(name: "FuzzFraming", dependencies: ["VigilFraming", "VigilCore", "VigilFuzzSupport"]),
        .executableTarget(name: "FuzzFastPath", dependencies: ["VigilParsing", "VigilFraming", "VigilCore", "VigilFuzzSupport"]),
        .executableTarget(name: "FuzzCloudTrail", dependencies: ["VigilParsing", "VigilDetection", "VigilCore", "VigilFuzzSupport"]),
        .executableTarget(name: "FuzzGCPAudit", dependencies: ["VigilParsing", "VigilFuzzSupport"]),
        .executableTarget(name: "FuzzAzure", dependencies: ["VigilParsing", "VigilFuzzSupport"]),
        .executableTarget(name: "FuzzS3Access", dependencies: ["VigilParsing", "VigilFuzzSupport"]),
        .executableTarget(name: "FuzzMapped", dependencies: ["VigilParsing", "VigilFuzzSupport"]),
        // Helpers shared by the test targets only: paths to shared fixtures, gzip/zstd writers.
        .target(name: "VigilTestSupport", dependencies: ["VigilCore", "CZstd", "CZlib"]),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilAWSTests", dependencies: ["VigilAWS", "VigilCore", "VigilSources"]),
        .testTarget(name: "VigilFramingTests", dependencies: ["VigilFraming", "VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilSourcesTests", dependencies: ["VigilSources", "VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilRespondersTests", dependencies: ["VigilResponders", "VigilCore", "VigilTestSupport",
                                                                .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "VigilStateTests", dependencies: ["VigilState", "VigilResponders", "VigilTestSupport"]),
        .testTarget(name: "VigilParsingTests", dependencies: ["VigilParsing", "VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilBaselineTests", dependencies: ["VigilBaseline", "VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilScoringTests", dependencies: ["VigilScoring", "VigilCore"]),
        .testTarget(name: "VigilNATSTests", dependencies: ["VigilNATS"]),
        .testTarget(name: "VigilClusterTests", dependencies: ["VigilCluster", "VigilNATS", "VigilCore", "VigilParsing", "VigilIdentity",
                                                             "VigilTestSupport"]),
        .testTarget(name: "VigilDetectionTests", dependencies: ["VigilDetection", "VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilSigmaTests", dependencies: ["VigilSigma", "VigilDetection", "VigilCore", "VigilParsing",
                                                           "VigilTestSupport"]),
        .testTarget(name: "VigilIdentityTests", dependencies: ["VigilIdentity", "VigilCore", "VigilParsing", "VigilTestSupport"]),
        .testTarget(name: "VigilMetricsTests", dependencies: ["VigilMetrics"]),
        .testTarget(name: "VigilReportTests", dependencies: ["VigilReport", "VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilPipelineTests", dependencies: ["VigilPipeline", "VigilSimulation", "VigilCore",
                                                              "VigilDetection", "VigilSources", "VigilParsing", "VigilTestSupport"]),
    ]
)
