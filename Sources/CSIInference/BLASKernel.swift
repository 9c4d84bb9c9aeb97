import COpenBLAS
import Foundation

/// Which OpenBLAS kernel this process runs, and the one fix for a CPU that OpenBLAS does not know.
///
/// OpenBLAS (0.3.21, Debian) picks its kernel from a table of CPU models when it loads. A newer CPU it does not
/// know (e.g. family 6 model 207, reported by some VMs as "Intel Xeon Processor") falls back to the SSE3 `Prescott`
/// kernel: sgemm at about a fifth of the AVX-512 speed (measured 22 vs 117 GFLOP/s on one core). With
/// `OPENBLAS_CORETYPE` set to a name it does not know, OpenBLAS instead picks the best kernel the CPU's features
/// allow (`Cooperlake` there). The variable is read while the library loads, so ``reexecIfOnFallbackKernel()``
/// sets it and re-executes the program, once, before anything else happens.
public enum BLASKernel {
    /// The kernel OpenBLAS chose (`openblas_get_corename`), e.g. `Haswell`, `SkylakeX`, `Prescott`.
    public static var name: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The engine's own kernel for the recurrent product of a batch: `avx512` on a CPU with AVX-512F, else `avx2`
    /// (`CSIHAR_KERNEL=avx2` forces the latter; the two give the same values).
    public static var recurrentKernel: String { LinearAlgebra.avx512Kernel ? "avx512" : "avx2" }

    /// True when OpenBLAS runs its pre-AVX fallback kernel on a CPU that has AVX2.
    public static var isFallbackOnAModernCPU: Bool {
        guard ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom"].contains(name) else { return false }
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        return flags.split(separator: " ").contains("avx2")
    }

    /// The value set in `OPENBLAS_CORETYPE`: not a core name, so OpenBLAS chooses by CPU features.
    public static let featureDetection = "auto"

    /// When OpenBLAS fell back to its pre-AVX kernel on an AVX2 CPU and `OPENBLAS_CORETYPE` is not set: sets it
    /// to ``featureDetection`` and re-executes this program with the same arguments (same process id, open file
    /// descriptors kept, so systemd's notify socket and socket activation are unaffected). Returns when nothing
    /// needs doing or the exec failed (the program then runs on, slower). Call first thing in `main`.
    public static func reexecIfOnFallbackKernel() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, isFallbackOnAModernCPU else { return }
        setenv("OPENBLAS_CORETYPE", featureDetection, 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        for pointer in argv { free(pointer) }   // exec failed: run on with the kernel we have
    }
}
