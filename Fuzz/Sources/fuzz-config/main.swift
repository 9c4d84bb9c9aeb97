import FuzzSupport
import CSIDaemon

/// libFuzzer entry: the input is a `csihard.toml` config file, parsed by ``TOMLReader`` (TOMLKit, toml++, and the
/// line index of keys) and validated by ``DaemonConfigFile`` (every key, type and range), as `csihard --config` does
/// at startup and on SIGHUP. TOMLKit 0.6.0 never frees a parsed document: scripts/fuzz.sh passes
/// scripts/sanitizers/lsan.supp, which keeps LeakSanitizer quiet about allocations under TOMLKit only.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try DaemonConfigFile.parse(text, path: "fuzz.toml")
    } catch {
        _ = error.description
    }
    return 0
}

FuzzDriver.run(fuzzConfig)
