import CSICapture
import FuzzSupport

/// The input is a whole ESP32-CSI-Tool CSV capture.
nonisolated(unsafe) private let scratch = ScratchFile(name: "esp32-csv")

/// libFuzzer entry: writes the input to the scratch file and reads every frame with ``ESP32CSVReader``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzESP32CSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard scratch.write(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    if let reader = try? ESP32CSVReader(path: scratch.path) {
        ReaderDrain.drain(reader)
    }
    return 0
}

FuzzDriver.run(fuzzESP32CSV)
