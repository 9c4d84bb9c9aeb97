import CSIInference
import Foundation
import Testing

/// `csihar` (and `csihard`, which shares ``BLASKernel``) never runs OpenBLAS's pre-AVX fallback kernel on a CPU with
/// AVX2: on a CPU model OpenBLAS does not know it re-executes itself with `OPENBLAS_CORETYPE` set.
@Suite struct BLASKernelProcessTests {
    @Test func theToolRunsAKernelForThisCPUsFeatures() throws {
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != "OPENBLAS_CORETYPE" }
        guard let run = try runCsihar(["bench", "sgemm", "--size", "256", "--seconds", "0.2", "--json"],
                                      environment: environment) else { return }
        #expect(run.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let kernel = object?["kernel"] as? String ?? "?"
        // This test process did not re-execute: it shows what OpenBLAS picks here on its own.
        print("OpenBLAS kernel: this test process \(BLASKernel.name) (fallback on an AVX2 CPU: "
              + "\(BLASKernel.isFallbackOnAModernCPU)); csihar \(kernel), \(object?["gflops"] ?? "?") GFLOP/s")
        #expect(!["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "?"].contains(kernel)
                || !BLASKernel.isFallbackOnAModernCPU, "csihar runs \(kernel) on a CPU with AVX2")
        if BLASKernel.isFallbackOnAModernCPU { #expect(kernel != BLASKernel.name) }
    }
}
