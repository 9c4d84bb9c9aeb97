import CSICapture

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that shapes one simulated recording besides its activity script.
public struct SimulationConfig: Sendable, Hashable {
    /// Device imitated.
    public var device: SimulatedDevice
    /// Seed: the same seed and script give the same recording.
    public var seed: UInt64
    /// Mean packet rate (Hz).
    public var rateHz: Double
    /// Standard deviation of the inter-packet interval, as a fraction of the period.
    public var jitter: Double
    /// Probability that a packet is lost (its sequence number is skipped).
    public var packetLoss: Double
    /// Signal-to-noise ratio of the CSI estimate (dB).
    public var snrDB: Double
    /// Channel bandwidth (MHz): 20 for Intel and ESP32; 20, 40 or 80 for Nexmon; 20, 40, 80 or 160 for AX210.
    public var bandwidthMHz: Int
    /// Transmit power (dBm).
    public var txPowerDBm: Double
    /// Standard deviation (dB) of the packet-to-packet gain error of the receiver's AGC (Intel: of the AGC decision
    /// before its 1 dB rounding; Nexmon/ESP32: of the reported CSI scale).
    public var agcJitterDB: Double
    /// AX210 packet format; `nil`: ``AX210PHYFormat/default(bandwidthMHz:)``. Ignored for other devices.
    public var phyFormat: AX210PHYFormat?
    /// Nexmon at 40/80 MHz: the packets are 20 MHz ones sent in this 20 MHz sub-band of the channel (0 = lowest), as
    /// a Raspberry Pi often captures them; the other sub-bands carry only noise. `nil`: packets fill the channel.
    public var packetSubBand: Int?

    /// Creates a configuration (defaults: Intel 5300 at 1 kHz like UT-HAR, 1% loss, 10% jitter, 30 dB SNR).
    public init(device: SimulatedDevice = .intel5300, seed: UInt64 = 1, rateHz: Double = 1000, jitter: Double = 0.1,
                packetLoss: Double = 0.01, snrDB: Double = 30, bandwidthMHz: Int = 20, txPowerDBm: Double = 15,
                agcJitterDB: Double = 0.5, phyFormat: AX210PHYFormat? = nil, packetSubBand: Int? = nil) {
        self.device = device
        self.seed = seed
        self.rateHz = rateHz
        self.jitter = jitter
        self.packetLoss = packetLoss
        self.snrDB = snrDB
        self.bandwidthMHz = bandwidthMHz
        self.txPowerDBm = txPowerDBm
        self.agcJitterDB = agcJitterDB
        self.phyFormat = phyFormat
        self.packetSubBand = packetSubBand
    }

    /// Whether signed subcarrier `k` carries the packet: the device's occupied tones, and with ``packetSubBand``
    /// only the +-1..+-28 tones around that sub-band's centre (-96, -32, +32, +96 at 80 MHz; -32, +32 at 40 MHz).
    public func carriesPacket(_ k: Int) -> Bool {
        guard device.isUsed(k, bandwidthMHz: bandwidthMHz) else { return false }
        guard let band = packetSubBand else { return true }
        let centre = OFDMToneLayout.subBandCentre(bandwidthMHz: bandwidthMHz, index: band)
        return (1...28).contains(abs(k - centre))
    }

    /// The AX210 packet format in force: ``phyFormat`` or the default for ``bandwidthMHz``.
    public var resolvedPHYFormat: AX210PHYFormat { phyFormat ?? .default(bandwidthMHz: bandwidthMHz) }

    /// The signed subcarrier indices the simulated device reports (AX210: the tones of ``resolvedPHYFormat``).
    public var subcarriers: [Int] {
        device == .ax210 ? (resolvedPHYFormat.toneLayout(bandwidthMHz: bandwidthMHz)?.indices ?? [])
                         : device.subcarriers(bandwidthMHz: bandwidthMHz)
    }

    /// Spacing of the subcarrier indices in Hz: 78 125 for AX210 HE packets, 312 500 otherwise.
    public var subcarrierSpacingHz: Double { device == .ax210 ? resolvedPHYFormat.spacingHz : 312_500 }
}

/// Generates CSI frames of a person performing an ``ActivityScript`` in a random room (docs/simulator.md).
///
/// Frames come out as the imitated device reports them (Intel: int8 CSI in antenna order with rssi/agc and a
/// random antenna permutation in `extras["antenna_sel"]`; Nexmon: one int16/float frame per core on all FFT bins;
/// ESP32: int8 LLTF items; AX210: int16 on the tones of an HT/VHT/HE packet, 2 chains, pilots 0), ready for the
/// capture writers. Time 0 of the script is the first frame's timestamp,
/// which is never lost.
public final class Simulator {
    /// The configuration.
    public let config: SimulationConfig
    /// The activity script (the label sidecar is its segments).
    public let script: ActivityScript
    /// The room drawn from the seed.
    public let room: Room
    /// Capture time of script time 0.
    public let startTime: Double

    private let motion: BodyMotion
    private let channel: ChannelModel
    /// Seed of the per-packet noise stream (each `run` starts it afresh, so runs are identical).
    private let noiseSeed: UInt64
    /// Sequence number of the first packet.
    private let firstSequence: Int
    private let permutation: [Int]
    /// Transmitter MAC address (Nexmon, ESP32 and AX210 frames carry it).
    let transmitter: [UInt8]
    /// Per receive chain: constant phase offset (rad) and delay slope (rad per subcarrier index) of its RF chain and
    /// ADC path, drawn per recording (real cards: random after every reset).
    private let chainPhase: [Double], chainSlope: [Double]
    /// Per receive chain gain steps per second (AGC re-decisions that are not common to all chains): one every
    /// 20 s per chain on average.
    static let chainGainStepsPerSecond = 0.05

    /// Sets up the room, person and channel from the seed.
    public init(config: SimulationConfig, script: ActivityScript) {
        self.config = config
        self.script = script
        var random = SimulatorRandom(seed: config.seed)
        var geometry = random.fork()
        let carrier = config.device.carrierHz(bandwidthMHz: config.bandwidthMHz)
        let wavelength = ChannelModel.speedOfLight / carrier
        room = Room.random(wavelength: wavelength, using: &geometry)
        var people = random.fork()
        motion = BodyMotion(script: script, root: room.personStart, heading: room.personHeading, bounds: room.bounds,
                            random: &people)
        let grid = config.subcarriers
        var receivers = room.receivers
        if config.device.antennas == 1 { receivers = [receivers[1]] }
        if config.device.antennas == 2 { receivers = [receivers[0], receivers[1]] }
        var deviceRoom = room
        deviceRoom.receivers = receivers
        channel = ChannelModel(room: deviceRoom, carrierHz: carrier, spacingHz: config.subcarrierSpacingHz,
                               subcarriers: grid)
        let permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        permutation = permutations[Int(random.unit() * 6) % 6]
        transmitter = [0x00, 0x16, 0xea] + (0..<3).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        switch config.device {
        case .intel5300, .ax210: startTime = Double(Int(random.uniform(1, 1000) * 1e6)) * 1e-6
        case .esp32: startTime = Double(Int(random.uniform(1, 100) * 1e6)) * 1e-6
        default: startTime = Double(Int(random.uniform(1.7e9, 1.8e9) * 1e6)) * 1e-6
        }
        noiseSeed = random.next()
        firstSequence = Int(random.unit() * 4000)
        var hardware = random.fork()
        chainPhase = (0..<3).map { _ in hardware.uniform(-Double.pi, Double.pi) }
        chainSlope = (0..<3).map { _ in hardware.uniform(-0.03, 0.03) }
    }

    /// Generates the recording, calling `body` for every frame in time order.
    public func run(_ body: (CSIFrame) throws -> Void) rethrows {
        let period = 1 / config.rateHz
        let antennas = channel.antennas
        let nsub = channel.subcarriers.count
        let wavelength = ChannelModel.speedOfLight / channel.carrierHz
        var real = [Double](repeating: 0, count: antennas * nsub)   // (antennas, nsub)
        var imag = [Double](repeating: 0, count: antennas * nsub)   // (antennas, nsub)
        var scratchReal = [Double](repeating: 0, count: channel.scratchCount)
        var scratchImag = [Double](repeating: 0, count: channel.scratchCount)
        var noise = SimulatorRandom(seed: noiseSeed)
        var t = 0.0
        var sequence = firstSequence
        let used = channel.subcarriers.map { config.carriesPacket($0) }
        // the delay slopes are per legacy (312.5 kHz) index: HE indices are 4 times denser
        let indexScale = channel.spacingHz / 312_500
        var chainGainDB = [Double](repeating: 0, count: antennas)    // per-chain gain steps, random walk in +-6 dB
        while t <= script.duration {
            defer {
                t += max(period * 0.05, period * (1 + config.jitter * noise.gaussian()))
                sequence += 1
            }
            if t > 0 && noise.unit() < config.packetLoss { continue }
            channel.channel(body: motion.scatterers(at: t), real: &real, imag: &imag,
                            scratchReal: &scratchReal, scratchImag: &scratchImag)
            // received power per antenna (dBm), Friis: amplitude lambda / (4 pi d) per unit path gain
            var power = [Double](repeating: 0, count: antennas)
            for a in 0..<antennas {
                var sum = 0.0
                var count = 0
                for s in 0..<nsub where used[s] {
                    sum += real[a * nsub + s] * real[a * nsub + s] + imag[a * nsub + s] * imag[a * nsub + s]
                    count += 1
                }
                let friis = wavelength / (4 * Double.pi)
                power[a] = config.txPowerDBm + 10 * log10(max(sum / Double(max(count, 1)) * friis * friis, 1e-30))
            }
            // Hardware phase and gain, as bad as real cards (docs/simulator.md): per packet a random common phase
            // (CFO, PLL), a random common delay slope (SFO, packet detection delay: up to +-0.2 rad per subcarrier,
            // about +-100 ns; AX210 +-0.05), per-chain phase jitter; per recording a phase offset and delay slope per chain; now and
            // then a gain step on one chain. Estimation noise on top. Amplitude features see the noise and the steps.
            let noiseScale = pow(10, -config.snrDB / 20)
            let phase = noise.uniform(-Double.pi, Double.pi)
            let slope = noise.uniform(-config.device.delaySlopeJitter, config.device.delaySlopeJitter)
            for a in 0..<antennas where noise.unit() < Self.chainGainStepsPerSecond * period {
                let step = noise.uniform(1, 3) * (noise.unit() < 0.5 ? -1 : 1)
                chainGainDB[a] = min(max(chainGainDB[a] + step, -6), 6)
            }
            for a in 0..<antennas {
                let chain = antennas == 1 ? 0 : a
                let gain = pow(10, chainGainDB[a] / 20)
                let jitter = 0.03 * noise.gaussian()
                var mean = 0.0
                for s in 0..<nsub { mean += real[a * nsub + s] * real[a * nsub + s] + imag[a * nsub + s] * imag[a * nsub + s] }
                let sigma = (mean / Double(nsub) / 2).squareRoot() * noiseScale
                for s in 0..<nsub {
                    let i = a * nsub + s
                    var re = real[i], im = imag[i]
                    if !used[s] { re = 0; im = 0 }
                    re += sigma * noise.gaussian()
                    im += sigma * noise.gaussian()
                    let k = Double(channel.subcarriers[s]) * indexScale
                    let angle = phase + jitter + chainPhase[chain] + (slope + chainSlope[chain]) * k
                    let c = gain * cos(angle), si = gain * sin(angle)
                    real[i] = re * c - im * si
                    imag[i] = re * si + im * c
                }
            }
            let timestamp = startTime + t
            for frame in makeFrames(timestamp: timestamp, sequence: sequence, real: real, imag: imag, power: power,
                                    random: &noise) {
                try body(frame)
            }
        }
    }

    /// All frames of the recording (convenience; allocates them all).
    public func frames() -> [CSIFrame] {
        var result: [CSIFrame] = []
        run { result.append($0) }
        return result
    }

    /// The device's report of one measurement.
    func makeFrames(timestamp: Double, sequence: Int, real: [Double], imag: [Double], power: [Double],
                            random: inout SimulatorRandom) -> [CSIFrame] {
        let antennas = channel.antennas
        let nsub = channel.subcarriers.count
        let totalPower = 10 * log10(power.reduce(0) { $0 + pow(10, $1 / 10) })
        // RMS of the channel values, for scaling to the device's integer range
        var sum = 0.0
        for i in 0..<real.count { sum += real[i] * real[i] + imag[i] * imag[i] }
        let rms = max((sum / Double(real.count)).squareRoot(), 1e-30)
        switch config.device {
        case .intel5300:
            // AGC in 1 dB steps brings the signal near a target level; the residual shows in the int8 scale.
            let agc = min(max(Int((-totalPower - 2 + config.agcJitterDB * random.gaussian()).rounded()), 0), 90)
            let residual = totalPower + Double(agc) + 2
            let k = 22 / rms * pow(10, residual / 20)
            var outReal = [Float](repeating: 0, count: antennas * nsub)   // (1, 3, 30) antenna order
            var outImag = [Float](repeating: 0, count: antennas * nsub)
            for i in 0..<real.count {
                outReal[i] = Float(min(max((real[i] * k).rounded(), -128), 127))
                outImag[i] = Float(min(max((imag[i] * k).rounded(), -128), 127))
            }
            let rssi = power.map { min(max(Int(($0 + 44 + Double(agc)).rounded()), 1), 127) }
            let antennaSelection = permutation[0] | permutation[1] << 2 | permutation[2] << 4
            let timestampLow = Int((timestamp * 1e6).rounded()) & 0xFFFF_FFFF
            return [CSIFrame(timestamp: timestamp, device: .intel5300, sequence: sequence & 0xFFFF, rssi: rssi,
                             noise: -127, agc: agc, bandwidthMHz: 20, ntx: 1, nrx: 3, subcarriers: channel.subcarriers,
                             real: outReal, imag: outImag,
                             extras: ["timestamp_low": timestampLow, "bfee_count": sequence & 0xFFFF, "rate": 0x4101,
                                      "antenna_sel": antennaSelection, "permuted": 1])]
        case .nexmon43455c0, .nexmon4366c0:
            let chip = config.device.nexmonChip ?? 101
            let k = 300 / rms * pow(10, config.agcJitterDB * random.gaussian() / 20)
            let chanspec = Self.chanspec(bandwidthMHz: config.bandwidthMHz)
            // the firmware overwrites 3 CSI words with phy status: +28..+30 at 20 MHz, bins 0..2 otherwise
            let corrupted = Set(NexmonPayloadDecoder.phyStatusSubcarriers(nfft: nsub))
            return (0..<antennas).map { a in
                var outReal = [Float](repeating: 0, count: nsub)   // (1, 1, nfft)
                var outImag = [Float](repeating: 0, count: nsub)
                for s in 0..<nsub {
                    if corrupted.contains(channel.subcarriers[s]) {
                        outReal[s] = Float(Int(random.next() & 0x7FFF) - 16384)
                        outImag[s] = Float(Int(random.next() & 0x7FFF) - 16384)
                    } else {
                        outReal[s] = Float(min(max((real[a * nsub + s] * k).rounded(), -32768), 32767))
                        outImag[s] = Float(min(max((imag[a * nsub + s] * k).rounded(), -32768), 32767))
                    }
                }
                return CSIFrame(timestamp: timestamp, device: .nexmon(chip: chip),
                                source: CSISourceID(transmitter: transmitter, core: UInt8(a), spatialStream: 0),
                                sequence: sequence & 0xFFF, rssi: [Int(power[a].rounded())], noise: nil, agc: nil,
                                bandwidthMHz: config.bandwidthMHz, ntx: 1, nrx: 1, subcarriers: channel.subcarriers,
                                real: outReal, imag: outImag, extras: ["chanspec": chanspec, "chip": Int(chip), "fc": 0x88])
            }
        case .ax210:
            return [makeAX210Frame(timestamp: timestamp, sequence: sequence, real: real, imag: imag, power: power,
                                   rms: rms, random: &random)]
        case .esp32:
            let k = 20 / rms * pow(10, config.agcJitterDB * random.gaussian() / 20)
            var outReal = [Float](repeating: 0, count: nsub)
            var outImag = [Float](repeating: 0, count: nsub)
            for s in 0..<nsub {
                outReal[s] = Float(min(max((real[s] * k).rounded(), -128), 127))
                outImag[s] = Float(min(max((imag[s] * k).rounded(), -128), 127))
            }
            let local = Int((timestamp * 1e6).rounded())
            return [CSIFrame(timestamp: timestamp, device: .esp32, source: CSISourceID(transmitter: transmitter),
                             rssi: [min(max(Int(power[0].rounded()), -127), 0)], noise: -95, bandwidthMHz: 20, ntx: 1,
                             nrx: 1, subcarriers: channel.subcarriers, real: outReal, imag: outImag,
                             extras: ["rate": 11, "sig_mode": 0, "mcs": 0, "channel": 6, "secondary_channel": 0,
                                      "local_timestamp": local & 0xFFFF_FFFF, "real_time_set": 0, "noise_floor": -95])]
        }
    }

    /// Broadcom d11ac chanspec for the default channel at `bandwidthMHz` (5 GHz band).
    static func chanspec(bandwidthMHz: Int) -> Int {
        switch bandwidthMHz {
        case 40: return 0xC000 | 0x1800 | 38
        case 80: return 0xC000 | 0x2000 | 42
        default: return 0xC000 | 0x1000 | 36
        }
    }
}
