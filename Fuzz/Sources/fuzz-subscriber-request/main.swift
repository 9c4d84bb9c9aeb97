import FuzzSupport
import CSIDaemon
import Foundation

/// libFuzzer entry: the input is one line a subscriber sends on the event socket, parsed as the subscriber server
/// does (``SubscriberRequestCheck``); a rejected line must produce one valid JSON error line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSubscriberRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    if let reply = SubscriberRequestCheck.errorReply(to: bytes) {
        precondition(reply.last == UInt8(ascii: "\n") && reply.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        precondition((try? JSONSerialization.jsonObject(with: Data(reply.dropLast()))) is [String: Any])
    }
    return 0
}

FuzzDriver.run(fuzzSubscriberRequest)
