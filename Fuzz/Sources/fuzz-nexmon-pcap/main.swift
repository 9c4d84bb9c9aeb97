import CSICapture
import FuzzSupport

/// The input is a whole pcap/pcapng file, read through libpcap's `pcap_open_offline`.
nonisolated(unsafe) private let scratch = ScratchFile(name: "nexmon-pcap")

/// libFuzzer entry: writes the input to the scratch file and reads every frame with ``NexmonPcapReader``
/// (any UDP port, so that every UDP payload reaches the Nexmon decoder).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNexmonPcap(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard scratch.write(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    if let reader = try? NexmonPcapReader(path: scratch.path, port: nil) {
        ReaderDrain.drain(reader)
    }
    return 0
}

FuzzDriver.run(fuzzNexmonPcap)
