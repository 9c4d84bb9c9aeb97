import CSICapture

/// Reads every frame out of a capture reader the way `csihar inspect` and the daemon do.
public enum ReaderDrain {
    /// Calls `nextFrame()` until the data ends or the reader throws (a fatal error for the file), at most
    /// `limit` frames; touches every frame's values so that nothing decoded is left unread. Returns the frame count.
    @discardableResult
    public static func drain(_ reader: CaptureReader, limit: Int = 1 << 16) -> Int {
        var frames = 0
        var checksum: Float = 0
        var line: [UInt8] = []
        while frames < limit {
            let next: CSIFrame?
            do {
                next = try reader.nextFrame()
            } catch {
                _ = "\(error)"   // the error text must be printable
                break
            }
            guard let frame = next else { break }
            frames += 1
            checksum += frame.real.reduce(0, +) + frame.imag.reduce(0, +)
            // What every consumer relies on (CSIFrame's initialiser checks it too).
            precondition(frame.real.count == frame.ntx * frame.nrx * frame.nsub && frame.imag.count == frame.real.count)
            line.removeAll(keepingCapacity: true)
            frame.appendNDJSON(to: &line)   // what `csihar replay` prints
        }
        blackHole(checksum)
        return frames
    }

    @inline(never)
    static func blackHole(_ value: Float) {
        if value.bitPattern == 0x7FC0_1234 { print("") }
    }
}
