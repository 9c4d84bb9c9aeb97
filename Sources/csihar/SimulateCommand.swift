import ArgumentParser
import CSISimulator

/// `csihar simulate`: physically grounded synthetic CSI recordings with label sidecars (docs/simulator.md).
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Generate simulated CSI captures (Intel 5300 .dat, Nexmon pcap, ESP32 CSV, AX210 FeitCSI .csi) with label sidecars.",
        discussion: """
            Examples:
              csihar simulate --script "idle 5s, walk 4s, fall 1s, lie down 3s" --output room.dat
              csihar simulate --device nexmon-4366c0 --bandwidth 80 --random 6 --output walk.pcap
              csihar simulate --device ax210 --bandwidth 80 --rate 100 --random 4 --output bedroom.csi
              csihar simulate --count 200 --random 8 --output-dir sim/ --seed 1000
            Devices: intel5300 (1x3, 30 subcarriers, 20 MHz), nexmon-43455c0 (1 core), nexmon-4366c0 (3 cores),
            esp32 (1 antenna, 2.4 GHz), ax210 (FeitCSI .csi, 1x2, 20-160 MHz; --phy-format ht|vht|he, default HT at
            20/40 MHz and HE-SU at 80/160 MHz; HE80 is about 8 kB per packet).
            Sidecar: <output without extension>.labels.csv, `start,end,activity`, seconds from the first frame.
            """)

    @Option(help: "Activity script, e.g. \"idle 5s, walk 4s, fall 1s, lie down 3s\".")
    var script: String?

    @Option(help: "Random script with this many activities (instead of --script).")
    var random: Int?

    @Option(help: "Device: \(SimulatedDevice.allCases.map(\.rawValue).joined(separator: ", ")).")
    var device: String = "intel5300"

    @Option(help: "Output capture file (single recording).")
    var output: String?

    @Option(help: "Label sidecar path (default: <output without extension>.labels.csv).")
    var labels: String?

    @Option(help: "Number of recordings to write into --output-dir (seeds seed, seed+1, ...).")
    var count: Int = 1

    @Option(help: "Directory for --count recordings (sim-<seed>.<ext> + .labels.csv).")
    var outputDir: String?

    @Option(help: "Random seed (room, person, noise).")
    var seed: UInt64 = 1

    @Option(help: "Packet rate in Hz.")
    var rate: Double = 1000

    @Option(help: "Packet loss probability.")
    var loss: Double = 0.01

    @Option(help: "Inter-packet jitter (standard deviation as a fraction of the period).")
    var jitter: Double = 0.1

    @Option(help: "CSI estimation SNR in dB.")
    var snr: Double = 30

    @Option(help: "Receiver AGC gain error per packet, standard deviation in dB.")
    var agcJitter: Double = 0.5

    @Option(help: "Bandwidth in MHz (Nexmon: 20, 40, 80; ax210: 20, 40, 80, 160).")
    var bandwidth: Int = 20

    @Option(help: "ax210 packet format: ht (20/40 MHz), vht or he (20-160 MHz); default ht at 20/40 MHz, he at 80/160.")
    var phyFormat: String?

    @Option(help: ArgumentHelp("Nexmon at 40/80 MHz: send 20 MHz packets in this 20 MHz sub-band of the channel (0 = "
                               + "lowest), as a Raspberry Pi often captures them; default: packets fill the channel."))
    var packetSubBand: Int?

    @Flag(help: "No progress line on stderr for --count (shown on a terminal; elsewhere one line every 10 s).")
    var noProgress = false

    @Option(help: ArgumentHelp("Seconds of idle added before and after the script (a daemon that was already running "
                               + "when the person came in, and stays on after the last activity)."))
    var pad: Double = 0

    func validate() throws {
        guard pad >= 0 && pad <= 3600 else { throw ValidationError("--pad must be 0...3600 seconds") }
        guard SimulatedDevice(rawValue: device) != nil else {
            throw ValidationError("--device must be one of \(SimulatedDevice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (script == nil) != (random == nil) else { throw ValidationError("give exactly one of --script or --random N") }
        if let random, random < 1 { throw ValidationError("--random must be at least 1") }
        guard rate > 0 && rate <= 10000 else { throw ValidationError("--rate must be in (0, 10000] Hz") }
        guard (0..<1).contains(loss) else { throw ValidationError("--loss must be in [0, 1)") }
        guard agcJitter >= 0 && agcJitter <= 20 else { throw ValidationError("--agc-jitter must be in [0, 20] dB") }
        guard snr > -20 && snr < 100 else { throw ValidationError("--snr must be in (-20, 100) dB") }
        let simulatedDevice = SimulatedDevice(rawValue: device)!
        guard simulatedDevice.bandwidthsMHz.contains(bandwidth) else {
            throw ValidationError("--bandwidth for \(device) must be "
                                  + simulatedDevice.bandwidthsMHz.map(String.init).joined(separator: ", ") + " MHz")
        }
        if let packetSubBand {
            guard [.nexmon43455c0, .nexmon4366c0].contains(simulatedDevice), bandwidth > 20 else {
                throw ValidationError("--packet-sub-band is for a Nexmon device at --bandwidth 40 or 80")
            }
            guard (0..<(bandwidth / 20)).contains(packetSubBand) else {
                throw ValidationError("--packet-sub-band must be 0...\(bandwidth / 20 - 1) at \(bandwidth) MHz")
            }
        }
        if let phyFormat {
            guard simulatedDevice == .ax210 else { throw ValidationError("--phy-format is for --device ax210") }
            guard let format = AX210PHYFormat(rawValue: phyFormat) else {
                throw ValidationError("--phy-format must be one of \(AX210PHYFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard format.supports(bandwidthMHz: bandwidth) else {
                throw ValidationError("--phy-format \(phyFormat) does not exist at \(bandwidth) MHz (ht: 20 or 40)")
            }
        }
        if count > 1 || outputDir != nil {
            guard outputDir != nil, output == nil else { throw ValidationError("--count uses --output-dir (not --output)") }
            guard count >= 1 && count <= 100_000 else { throw ValidationError("--count must be 1...100000") }
            guard labels == nil else { throw ValidationError("--labels applies to a single --output") }
        } else if output == nil {
            throw ValidationError("give --output FILE (or --count N --output-dir DIR)")
        }
    }

    func run() async throws {
        let simulatedDevice = SimulatedDevice(rawValue: device)!   // checked in validate()
        var fixedScript: ActivityScript?
        if let script {
            do { fixedScript = try ActivityScript(parsing: script) } catch { throw ValidationError("\(error)") }
        }
        let paths: [(String, UInt64)]
        if let outputDir {
            let ext = Simulator.fileExtension(for: simulatedDevice)
            paths = (0..<count).map { i in
                let s = seed &+ UInt64(i)
                return ("\(outputDir)/sim-\(s).\(ext)", s)
            }
            try createDirectory(outputDir)
        } else {
            paths = [(output!, seed)]   // validate() requires --output here
        }
        let progress = ProgressReporter(task: "simulate", unit: "recordings", total: paths.count,
                                        mode: ProgressReporter.automaticMode(disabled: noProgress || paths.count < 2))
        progress.update(done: 0)
        defer { progress.finish() }   // also before an error message
        for (path, recordingSeed) in paths {
            var scriptRandom = SimulatorRandom(seed: recordingSeed &* 0x9E37_79B9 &+ 17)
            var recordingScript = fixedScript ?? ActivityScript.random(count: random ?? 6, using: &scriptRandom)
            if pad > 0 {
                recordingScript = ActivityScript([(.idle, pad)] + recordingScript.segments.map { ($0.activity, $0.end - $0.start) }
                                                 + [(.idle, pad)])
            }
            let config = SimulationConfig(device: simulatedDevice, seed: recordingSeed, rateHz: rate, jitter: jitter,
                                          packetLoss: loss, snrDB: snr, bandwidthMHz: bandwidth,
                                          agcJitterDB: agcJitter, phyFormat: phyFormat.flatMap(AX210PHYFormat.init(rawValue:)),
                                          packetSubBand: packetSubBand)
            let simulator = Simulator(config: config, script: recordingScript)
            let result = try simulator.write(to: path, labelsPath: paths.count == 1 ? labels : nil)
            progress.interrupt {
                print("\(result.path): \(result.frames) frames, \(formatSeconds(result.duration)) s, labels \(result.labelsPath)")
            }
            progress.advance()
        }
    }

    private func formatSeconds(_ value: Double) -> String { String(Double(Int(value * 10)) / 10) }

    private func createDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw CommandFailure("\(current): cannot create the directory (\(String(cString: strerror(errno))))")
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
