// swift-tools-version: 6.1
// libFuzzer targets for every csihar input parser. A separate package so that the main package's `swift build`
// and `make test` are unaffected; built and run by `make fuzz` (scripts/fuzz.sh) with
// `-Xswiftc -sanitize=fuzzer,address`. Each target's main.swift defines `LLVMFuzzerTestOneInput` and hands it to
// libFuzzer's `LLVMFuzzerRunDriver` (SwiftPM links executables with their own entry symbol, not libFuzzer's main).
import PackageDescription

let package = Package(
    name: "csihar-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "csihar", path: ".."),
    ],
    targets: [
        // A scratch file for readers that take a path, and a loop that drains a reader.
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", .product(name: "CSICapture", package: "csihar")]),
        .executableTarget(name: "fuzz-intel5300", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-nexmon-payload", dependencies: ["FuzzSupport", .product(name: "CSICapture", package: "csihar")]),
        .executableTarget(name: "fuzz-nexmon-pcap", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-esp32-csv", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-atheros", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-picoscenes", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-feitcsi", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-model-file", dependencies: ["FuzzSupport", .product(name: "CSIInference", package: "csihar")]),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzSupport", .product(name: "CSIDaemon", package: "csihar")]),
        .executableTarget(name: "fuzz-subscriber-request", dependencies: ["FuzzSupport", .product(name: "CSIDaemon", package: "csihar")]),
    ]
)
