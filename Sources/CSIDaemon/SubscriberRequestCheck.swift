/// The subscriber request parser as the subscriber server applies it to one received line, exposed for fuzzing
/// (`Fuzz/`) and tools: what the server would answer, without a socket.
public enum SubscriberRequestCheck {
    /// `nil` when `line` (without its newline) is blank or a valid request, else the `{"type":"error",...}` line
    /// the server sends back for it.
    public static func errorReply(to line: [UInt8]) -> [UInt8]? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        do {
            _ = try SubscriberRequest.parse(line)
            return nil
        } catch {
            return SubscriberRequest.errorLine("\(error)")
        }
    }
}
