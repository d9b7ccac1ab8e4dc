import Foundation
import Testing
import VigilCore
import VigilTestSupport

/// `Models/priors.json`: what a call can do, before anyone's history says what is usual.
@Suite struct ActionPriorsTests {
    static let shipped: ActionPriors = try! ActionPriors.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/priors.json"))

    func category(_ action: String, readOnly: Bool? = nil) -> String? {
        let p = Self.shipped.prior(action, readOnly: readOnly)
        return p.category.map { Self.shipped.categories[$0].id }
    }

    @Test func highImpactCalls_fallInTheirCategories() {
        #expect(category("ssm:SendCommand") == "compute-execution")
        #expect(category("ec2-instance-connect:SendSSHPublicKey") == "credential-minting")
        #expect(category("cloudtrail:StopLogging") == "logging-change")
        #expect(category("iam:CreateUser") == "identity-persistence")
        #expect(category("iam:AttachRolePolicy") == "permission-change")
        #expect(category("ec2:ModifySnapshotAttribute") == "network-exposure")
        #expect(category("kms:ScheduleKeyDeletion") == "destruction")
        // Versioned Lambda operation names are matched by prefix.
        #expect(category("lambda:UpdateFunctionCode20150331v2") == "code-deploy")
        #expect(category("lambda:AddPermission20150331v2") == "network-exposure")
    }

    @Test func everythingElse_getsItsServiceOrVerbPrior_withoutACategory() {
        let list = Self.shipped.prior("s3:ListBuckets", readOnly: true)
        #expect(list.category == nil && list.value == 0.1)
        #expect(Self.shipped.prior("iam:TagRole", readOnly: false) == ActionPriors.Prior(value: 0.8))     // IAM writes
        #expect(Self.shipped.prior("iam:GetRole", readOnly: true) == ActionPriors.Prior(value: 0.3))      // IAM reads
        #expect(Self.shipped.prior("ec2:DeleteVolume", readOnly: false) == ActionPriors.Prior(value: 0.6)) // the verb
        #expect(Self.shipped.prior("ec2:DescribeVolumes", readOnly: nil) == ActionPriors.Prior(value: 0.1)) // read off the verb
        #expect(Self.shipped.prior("quicksight:Frobnicate", readOnly: false) == ActionPriors.Prior(value: 0.4))
    }

    @Test func theFileSaysWhereItComesFrom() throws {
        let raw = try JSONSerialization.jsonObject(with: Data(TestSupport.read(TestSupport.packageRoot + "/Models/priors.json"))) as! [String: Any]
        #expect((raw["provenance"] as? [String])?.isEmpty == false)
        #expect(Self.shipped.date.count == 10)
        for c in Self.shipped.categories {
            #expect(!c.attack.isEmpty, "\(c.id) names its ATT&CK techniques")
            #expect(!c.words.isEmpty)
        }
    }

    @Test func aBrokenFile_isRefusedWithTheReason() {
        func error(_ json: String) -> String {
            do { _ = try ActionPriors.load(json: Array(json.utf8)); return "" } catch { return "\(error)" }
        }
        let head = "\"schema\":\"vigil.priors/1\",\"date\":\"2026-12-04\",\"provenance\":[\"x\"]"
        let cat = { (id: String, a: String) in "{\"id\":\"\(id)\",\"words\":\"w\",\"prior\":0.9,\"attack\":[\"T1\"],\"actions\":[\"\(a)\"]}" }
        #expect(error("{\(head),\"categories\":[\(cat("a", "iam:CreateUser")),\(cat("b", "iam:CreateUser"))]}").contains("iam:CreateUser is in both a and b"))
        #expect(error("{\"schema\":\"vigil.priors/2\",\"date\":\"d\",\"provenance\":[\"x\"],\"categories\":[]}").contains("unsupported schema"))
        #expect(error("{\"schema\":\"vigil.priors/1\",\"date\":\"d\",\"provenance\":[],\"categories\":[]}").contains("provenance"))
        #expect(error("{\(head),\"categories\":[{\"id\":\"a\",\"words\":\"w\",\"prior\":1.5,\"attack\":[],\"actions\":[]}]}").contains("prior must be in [0, 1]"))
    }
}
