import NIOCore

/// Splits inbound bytes into lines (without the `\n`, a trailing `\r` removed); a line longer than
/// `maximumLength` bytes is an error (the server replies with an error and closes). A line that starts with
/// `{"request":"calibration.install"` (spaces ignored) may be up to `calibrationLength` bytes: it carries a whole
/// classifier head.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// The longest accepted line, bytes.
    let maximumLength: Int
    /// The longest accepted `calibration.install` line, bytes.
    var calibrationLength = 0

    init(maximumLength: Int, calibrationLength: Int = 0) {
        self.maximumLength = maximumLength
        self.calibrationLength = calibrationLength
    }

    private static let installPrefix = Array(#"{"request":"calibration.install""#.utf8)

    /// The limit for the line at the start of `buffer`.
    private func limit(_ buffer: ByteBuffer) -> Int {
        guard calibrationLength > maximumLength else { return maximumLength }
        var matched = 0
        for byte in buffer.readableBytesView.prefix(256) where byte != 0x20 && byte != 0x09 {
            guard byte == Self.installPrefix[matched] else { return maximumLength }
            matched += 1
            if matched == Self.installPrefix.count { return calibrationLength }
        }
        return maximumLength
    }

    /// Raised for an over-long line.
    struct LineTooLong: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "request line longer than \(limit) bytes" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            let limit = limit(buffer)
            if buffer.readableBytes > limit { throw LineTooLong(limit: limit) }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        let limit = limit(buffer)
        if length > limit { throw LineTooLong(limit: limit) }
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)! }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
