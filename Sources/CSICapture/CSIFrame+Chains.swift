extension CSIFrame {
    /// The frame as a radio with only its first `count` receive chains would have delivered it (every transmit
    /// stream kept, RSSI of those chains only); `self` when it has no more than `count` chains. Used to make
    /// 2-chain training data from 3-chain captures, and by tests.
    public func keepingReceiveChains(_ count: Int) -> CSIFrame {
        guard count >= 1, count < nrx else { return self }
        var real: [Float] = [], imag: [Float] = []
        real.reserveCapacity(ntx * count * nsub)
        imag.reserveCapacity(ntx * count * nsub)
        for t in 0..<ntx {
            let start = index(tx: t, rx: 0, subcarrier: 0), end = start + count * nsub
            real += self.real[start..<end]
            imag += self.imag[start..<end]
        }
        var copy = self
        copy.nrx = count
        copy.real = real
        copy.imag = imag
        copy.rssi = Array(rssi.prefix(count))
        return copy
    }
}
