#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Frequency-domain channel on a subcarrier grid: `H(a, k) = sum_p g_p exp(-j 2 pi f_k d_p / c) / d_p` with
/// `f_k = carrier + k * spacing`, for every receive antenna `a`.
///
/// The static part (walls, furniture) is computed once; per packet only the line of sight (shadowed when the
/// torso is near it) and the body scatterers are added. Each path is evaluated on the contiguous index range
/// by a phase recurrence (one sin/cos per path, then a complex multiply per subcarrier).
public struct ChannelModel: Sendable {
    /// Speed of light (m/s).
    public static let speedOfLight = 299_792_458.0
    /// The room.
    public let room: Room
    /// Centre frequency (Hz).
    public let carrierHz: Double
    /// Subcarrier spacing (Hz).
    public let spacingHz: Double
    /// Signed subcarrier indices the channel is reported on, ascending.
    public let subcarriers: [Int]

    /// Lowest index of the contiguous range covering `subcarriers`.
    private let first: Int
    /// Length of that range.
    private let span: Int
    /// Column in the range of each reported subcarrier, (nsub,).
    private let columns: [Int]
    /// Static channel per antenna over the range, (3, span) real and imaginary parts.
    private var staticReal: [Double]
    private var staticImag: [Double]

    /// Builds the model and precomputes the static channel.
    public init(room: Room, carrierHz: Double, spacingHz: Double, subcarriers: [Int]) {
        self.room = room
        self.carrierHz = carrierHz
        self.spacingHz = spacingHz
        self.subcarriers = subcarriers
        first = subcarriers.min() ?? 0
        span = (subcarriers.max() ?? 0) - first + 1
        columns = subcarriers.map { $0 - (subcarriers.min() ?? 0) }
        staticReal = [Double](repeating: 0, count: room.receivers.count * span)
        staticImag = staticReal
        for a in 0..<room.receivers.count {
            for path in room.staticPaths(antenna: a) {
                Self.addPath(length: path.length, gain: path.gain, carrier: carrierHz, spacing: spacingHz, first: first,
                             span: span, offset: a * span, real: &staticReal, imag: &staticImag)
            }
        }
    }

    /// Number of receive antennas.
    public var antennas: Int { room.receivers.count }

    /// Adds `gain exp(-j 2 pi f d / c) / d` for `f = carrier + (first + i) * spacing`, i in 0..<span, to
    /// `real/imag[offset + i]`.
    @inline(__always)
    static func addPath(length d: Double, gain: Double, carrier: Double, spacing: Double, first: Int, span: Int,
                        offset: Int, real: inout [Double], imag: inout [Double]) {
        let amplitude = gain / d
        let phase0 = -2 * Double.pi * (carrier + Double(first) * spacing) * d / speedOfLight
        let step = -2 * Double.pi * spacing * d / speedOfLight
        // value = amplitude * exp(j phase0), rotated by exp(j step) per subcarrier
        var re = amplitude * cos(phase0), im = amplitude * sin(phase0)
        let cr = cos(step), ci = sin(step)
        for i in 0..<span {
            real[offset + i] += re
            imag[offset + i] += im
            let nr = re * cr - im * ci
            im = re * ci + im * cr
            re = nr
        }
    }

    /// The channel with the body at `body` (world positions of the parts, reflectivities from ``BodyPose``):
    /// writes (antennas, nsub) values into `real/imag`; `scratch` must hold 2 * span doubles.
    public func channel(body: [Vector3], real: inout [Double], imag: inout [Double],
                        scratchReal: inout [Double], scratchImag: inout [Double]) {
        let tx = room.transmitter
        // torso near the line of sight blocks part of it
        let torso = body.count > BodyPose.Part.chest.rawValue ? body[BodyPose.Part.chest.rawValue] : nil
        for a in 0..<antennas {
            let rx = room.receivers[a]
            for i in 0..<span {
                scratchReal[i] = staticReal[a * span + i]
                scratchImag[i] = staticImag[a * span + i]
            }
            var shadow = 1.0
            if let torso {
                let miss = Vector3(torso.x, torso.y, min(max(torso.z, min(tx.z, rx.z)), max(tx.z, rx.z)))
                    .distance(toSegment: tx, rx)
                shadow = 1 - 0.6 * exp(-(miss / 0.25) * (miss / 0.25))
            }
            Self.addPath(length: tx.distance(to: rx), gain: shadow, carrier: carrierHz, spacing: spacingHz, first: first,
                         span: span, offset: 0, real: &scratchReal, imag: &scratchImag)
            for (p, point) in body.enumerated() {
                let d = tx.distance(to: point) + point.distance(to: rx)
                Self.addPath(length: d, gain: BodyPose.reflectivity[p], carrier: carrierHz, spacing: spacingHz,
                             first: first, span: span, offset: 0, real: &scratchReal, imag: &scratchImag)
            }
            for (s, column) in columns.enumerated() {
                real[a * columns.count + s] = scratchReal[column]
                imag[a * columns.count + s] = scratchImag[column]
            }
        }
    }

    /// Scratch length needed by ``channel(body:real:imag:scratchReal:scratchImag:)``.
    public var scratchCount: Int { span }
}
