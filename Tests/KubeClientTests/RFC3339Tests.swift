import Foundation
import KubeClient
import Testing

@Suite struct RFC3339Tests {
    @Test func parsesWholeAndFractionalSeconds() throws {
        let whole = try #require(RFC3339.parse("2026-11-23T08:37:32Z"))
        #expect(whole.timeIntervalSince1970 == 1_795_423_052)
        let micro = try #require(RFC3339.parse("2026-11-23T08:37:32.123456Z"))
        #expect(abs(micro.timeIntervalSince1970 - 1_795_423_052.123456) < 1e-6)
        let offset = try #require(RFC3339.parse("2026-11-23T10:37:32+02:00"))
        #expect(offset == whole)
        #expect(RFC3339.parse("2026-11-23 08:37") == nil)
        #expect(RFC3339.parse("2026-13-23T08:37:32Z") == nil)
    }

    @Test func formatsMicroTimeWithSixDigits() {
        let date = Date(timeIntervalSince1970: 1_795_423_052.5)
        #expect(RFC3339.format(date, fractionalDigits: 6) == "2026-11-23T08:37:32.500000Z")
        #expect(RFC3339.format(date, fractionalDigits: 0) == "2026-11-23T08:37:32Z")
    }
}
