// swift-tools-version: 6.1
// csihar: a WiFi-sensing daemon. Data flows one way:
// source -> frames (CSICapture) -> features/window (CSIFeatures) -> model (CSIInference)
// -> smoothing/events (CSIEvents) -> subscribers (CSIDaemon) and an MQTT broker (MQTTBridge).
import PackageDescription

// The inference kernels are vectorised with SIMD8<Float>; on x86-64 they are compiled for x86-64-v3 (AVX2, FMA:
// every x86 server CPU since 2013-2015) so that one SIMD8 is one ymm register instead of two SSE halves,
// and without overflow checks in release builds. The rest of the package keeps the default baseline.
// The feature stage (SIMD8 decibels and spectra for every sampled frame) gets the same instruction set, with its
// overflow checks kept.
#if arch(x86_64)
let inferenceSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]
let featureSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let inferenceSettings: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
let featureSettings: [SwiftSetting] = []
#endif

let package = Package(
    name: "csihar",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "csihard", targets: ["csihard"]),
        .executable(name: "csihar", targets: ["csihar"]),
        .library(name: "CSICapture", targets: ["CSICapture"]),
        .library(name: "CSIInference", targets: ["CSIInference"]),
        // For the fuzz targets in Fuzz/ (config and subscriber request parsers).
        .library(name: "CSIDaemon", targets: ["CSIDaemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // TOML 1.0 parser of csihard.toml (toml++ under a Swift API).
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        // System libraries (Debian: libpcap-dev, libopenblas-dev, libmosquitto-dev). OpenBLAS is linked as
        // "openblas", never "blas".
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),

        // Frames and capture readers (Intel 5300, Nexmon pcap, ESP32 CSV, Atheros; live libpcap and netlink).
        .target(name: "CSICapture", dependencies: ["CPcap"]),
        // Frame -> 90-feature vector, resampling on capture timestamps, normalisation, sliding windows.
        .target(name: "CSIFeatures", dependencies: ["CSICapture"], swiftSettings: featureSettings),
        // The engine's AVX-512 kernel, in C: compiled for AVX-512 per function and chosen at run time (the package's
        // baseline stays x86-64-v3).
        .target(name: "CKernels"),
        // Recurrent inference engine on OpenBLAS, safetensors model files.
        .target(name: "CSIInference", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: inferenceSettings),
        // Smoothing of window probabilities into activity events; event types and NDJSON encoding.
        .target(name: "CSIEvents", dependencies: []),
        // CSI simulator and capture writers.
        .target(name: "CSISimulator", dependencies: ["CSICapture"]),
        // Events to an MQTT broker (libmosquitto) with Home Assistant discovery: topics, retained states, bounded queue.
        .target(name: "MQTTBridge", dependencies: [
            "CSIEvents", "CMosquitto",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        // The daemon: pipeline, subscriber socket (NIO), MQTT bridge wiring, systemd integration, configuration,
        // Prometheus metrics (swift-metrics API, swift-prometheus registry, served over NIOHTTP1), csihard.toml read
        // with TOMLKit.
        .target(name: "CSIDaemon", dependencies: [
            "CSICapture", "CSIFeatures", "CSIInference", "CSIEvents", "MQTTBridge",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // Helpers shared by the test targets (locating ../shared/data and committed fixtures).
        .target(name: "CSITestSupport", dependencies: []),

        .executableTarget(name: "csihard", dependencies: [
            "CSIDaemon", "MQTTBridge",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "csihar", dependencies: [
            "CSICapture", "CSIFeatures", "CSIInference", "CSIEvents", "CSISimulator", "CSIDaemon",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "CSICaptureTests", dependencies: ["CSICapture", "CSITestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSIFeaturesTests", dependencies: ["CSIFeatures", "CSICapture", "CSITestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "CSIInferenceTests", dependencies: ["CSIInference", "CSITestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSIEventsTests", dependencies: ["CSIEvents"]),
        .testTarget(name: "MQTTBridgeTests", dependencies: ["MQTTBridge", "CSIEvents"]),
        .testTarget(name: "CSISimulatorTests", dependencies: ["CSISimulator", "CSICapture", "CSIFeatures", "CSITestSupport"]),
        .testTarget(name: "csiharTests", dependencies: ["csihar", "CSICapture", "CSIFeatures", "CSIInference", "CSIEvents", "CSITestSupport"]),
        .testTarget(name: "CSIDaemonTests", dependencies: [
            "CSIDaemon", "CSIEvents", "MQTTBridge", "CSIFeatures", "CSICapture", "CSITestSupport", "CSIInference", "CSISimulator",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
    ]
)
