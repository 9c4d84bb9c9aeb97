#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic random numbers for the simulator (SplitMix64): the same seed gives the same recording on every
/// platform and Swift version (the standard library generator makes no such promise).
public struct SimulatorRandom: RandomNumberGenerator, Sendable {
    /// Generator state.
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed ^ 0x5DEE_CE66_D1CE_4E5B }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Standard normal (Box-Muller).
    public mutating func gaussian() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// A generator derived from this one for an independent sub-stream (e.g. noise vs. geometry).
    public mutating func fork() -> SimulatorRandom { SimulatorRandom(seed: next()) }
}
