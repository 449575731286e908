import Arklet
import Testing

@Suite("Topic building and parsing")
struct TopicTests {
    let topics = ArkletTopics(env: "dev")
    let base = BaseIdentity("10.1.0.45")!

    @Test func building() {
        #expect(topics.command(.installBiz, for: base) == "koupleless_dev/10.1.0.45/installBiz")
        #expect(topics.command(.health, for: base) == "koupleless_dev/10.1.0.45/health")
        #expect(topics.baseline(for: base) == "koupleless_dev/10.1.0.45/base/baseline")
        #expect(topics.report(.heart, for: base) == "koupleless_dev/10.1.0.45/base/heart")
        #expect(ArkletTopics(env: "").command(.health, for: base) == "koupleless_/10.1.0.45/health", "empty env allowed")
    }

    @Test func controllerSubscribesToWildcardsOnly() {
        #expect(topics.controllerSubscriptions == [
            "koupleless_dev/+/base/heart", "koupleless_dev/+/base/queryBaseline", "koupleless_dev/+/base/health",
            "koupleless_dev/+/base/simpleBiz", "koupleless_dev/+/base/biz", "koupleless_dev/+/base/bizOperation",
            "koupleless_dev/+/base/batchInstallBizResponse",
        ])
        #expect(topics.baseSubscriptions(for: base) == ["koupleless_dev/10.1.0.45/+", "koupleless_dev/10.1.0.45/base/baseline"])
    }

    @Test(arguments: [
        ("koupleless_dev/10.1.0.45/base/heart", ArkletTopic.report(BaseIdentity("10.1.0.45")!, .heart)),
        ("koupleless_dev/10.1.0.45/base/queryBaseline", .report(BaseIdentity("10.1.0.45")!, .queryBaseline)),
        ("koupleless_dev/10.1.0.45/base/baseline", .baseline(BaseIdentity("10.1.0.45")!)),
        ("koupleless_dev/10.1.0.45/health", .command(BaseIdentity("10.1.0.45")!, .health)),
        ("koupleless_dev/10.1.0.45/queryAllBiz", .command(BaseIdentity("10.1.0.45")!, .queryAllBiz)),
        ("koupleless_dev/10.1.0.45/installBiz", .command(BaseIdentity("10.1.0.45")!, .installBiz)),
        ("koupleless_dev/10.1.0.45/uninstallBiz", .command(BaseIdentity("10.1.0.45")!, .uninstallBiz)),
        ("koupleless_dev/10.1.0.45/base/health", .report(BaseIdentity("10.1.0.45")!, .health)),
        ("koupleless_dev/10.1.0.45/base/simpleBiz", .report(BaseIdentity("10.1.0.45")!, .simpleBiz)),
        ("koupleless_dev/10.1.0.45/base/biz", .report(BaseIdentity("10.1.0.45")!, .biz)),
        ("koupleless_dev/10.1.0.45/base/bizOperation", .report(BaseIdentity("10.1.0.45")!, .bizOperation)),
        ("koupleless_dev/10.1.0.45/base/batchInstallBizResponse", .report(BaseIdentity("10.1.0.45")!, .batchInstallBizResponse)),
    ])
    func parsesEveryTopic(topic: String, expected: ArkletTopic) throws {
        let parsed = try topics.parse(topic)
        #expect(parsed == expected)
        #expect(parsed.identity.rawValue == "10.1.0.45", "identity is the second level")
    }

    @Test func buildAndParseAreInverse() throws {
        for kind in BaseReportKind.allCases {
            #expect(try topics.parse(topics.report(kind, for: base)) == .report(base, kind))
        }
        #expect(try topics.parse(topics.baseline(for: base)) == .baseline(base))
    }

    @Test(arguments: [
        "koupleless_prod/10.1.0.45/base/heart", "koupleless_dev/10.1.0.45", "koupleless_dev/10.1.0.45/base/heart/x",
        "koupleless_dev/10.1.0.45/base/unknownKind", "koupleless_dev/10.1.0.45/other/heart", "koupleless_dev/10.1.0.45/",
        "", "koupleless_dev",
    ])
    func rejectsForeignTopics(topic: String) {
        #expect(throws: TopicParseError.notArkletTopic) { try topics.parse(topic) }
    }

    @Test(arguments: ["koupleless_dev//base/heart", "koupleless_dev/a+b/base/heart", "koupleless_dev/#/health", "koupleless_dev/+/base/heart"])
    func rejectsInvalidIdentities(topic: String) {
        do {
            _ = try topics.parse(topic)
            Issue.record("\(topic) parsed")
        } catch {
            guard case .invalidIdentity = error else {
                Issue.record("\(topic): \(error), expected invalidIdentity")
                return
            }
        }
    }

    @Test func identityValidation() {
        #expect(BaseIdentity("10.1.0.45") != nil)
        #expect(BaseIdentity("") == nil)
        #expect(BaseIdentity("a/b") == nil)
        #expect(BaseIdentity("a+b") == nil)
        #expect(BaseIdentity("a#") == nil)
        #expect(throws: InvalidBaseIdentity.self) { try BaseIdentity(validating: "x/y") }
    }
}
