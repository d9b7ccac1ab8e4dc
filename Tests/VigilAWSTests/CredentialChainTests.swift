import Foundation
import Testing
@testable import VigilAWS

/// The credential chain in the SDKs' order: environment, web identity, the profile's files
/// (static keys, `role_arn` through `source_profile` or a token file), the container endpoint,
/// instance metadata; region and endpoint as the SDKs read them.
@Suite struct CredentialChainTests {
    static let credentials = """
    [default]
    aws_access_key_id = AKIADEFAULT
    aws_secret_access_key = default-secret

    # the CI key
    [ci]
    aws_access_key_id=AKIACI
    aws_secret_access_key=ci-secret
    aws_session_token = ci-token
    """
    static let config = """
    [default]
    region = eu-west-1

    [profile audit]
    role_arn = arn:aws:iam::111122223333:role/log-reader
    source_profile = ci
    role_session_name = vigil-audit
    region = us-east-2
    s3 =
      max_concurrent_requests = 20

    [profile eks]
    role_arn = arn:aws:iam::111122223333:role/irsa
    web_identity_token_file = /var/run/secrets/token

    [profile loop-a]
    role_arn = arn:aws:iam::111122223333:role/a
    source_profile = loop-b

    [profile loop-b]
    role_arn = arn:aws:iam::111122223333:role/b
    source_profile = loop-a

    [profile half]
    aws_access_key_id = AKIAHALF
    """

    static func chain(_ env: [String: String], files: Bool = true) -> CredentialChain {
        CredentialChain(environment: env, credentialsFile: files ? credentials : nil, configFile: files ? config : nil)
    }

    @Test func environmentKeys_comeFirst() throws {
        let s = try Self.chain(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "tok",
                                "AWS_PROFILE": "ci", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"]).source()
        guard case .keys(let k) = s else { Issue.record("\(s)"); return }
        #expect(k.accessKeyID == "AKIAENV" && k.sessionToken == "tok" && k.source == "environment")
    }

    @Test func webIdentity_beforeProfiles() throws {
        let s = try Self.chain(["AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r", "AWS_PROFILE": "ci"]).source()
        #expect(s == .webIdentity(roleArn: "arn:aws:iam::1:role/r", tokenFile: "/var/run/token", sessionName: "vigil"))
    }

    @Test func profile_staticKeys_andTheDefault() throws {
        guard case .keys(let ci) = try Self.chain(["AWS_PROFILE": "ci"]).source() else { Issue.record("ci"); return }
        #expect(ci.accessKeyID == "AKIACI" && ci.sessionToken == "ci-token" && ci.source == "profile ci")
        guard case .keys(let d) = try Self.chain([:]).source() else { Issue.record("default"); return }
        #expect(d.accessKeyID == "AKIADEFAULT")
    }

    @Test func profile_roleArnWithSourceProfile_assumesTheRoleWithTheSourcesKeys() throws {
        let s = try Self.chain(["AWS_PROFILE": "audit"]).source()
        guard case .assumeRole(let role, let session, nil, .keys(let k)) = s else { Issue.record("\(s)"); return }
        #expect(role == "arn:aws:iam::111122223333:role/log-reader" && session == "vigil-audit" && k.accessKeyID == "AKIACI")
        #expect(try Self.chain(["AWS_PROFILE": "eks"]).source()
                == .webIdentity(roleArn: "arn:aws:iam::111122223333:role/irsa", tokenFile: "/var/run/secrets/token", sessionName: "vigil"))
    }

    @Test func profile_mistakes_areRefusedInPlainWords() {
        #expect(throws: AWSConfigError.sourceProfileLoop("loop-a")) { try Self.chain(["AWS_PROFILE": "loop-a"]).source() }
        #expect(throws: AWSConfigError.incompleteProfile("half", missing: "aws_secret_access_key")) { try Self.chain(["AWS_PROFILE": "half"]).source() }
        #expect(throws: AWSConfigError.profileNotFound("nope")) { try Self.chain(["AWS_PROFILE": "nope"]).source() }
        let e = AWSConfigError.incompleteProfile("half", missing: "aws_secret_access_key")
        #expect(e.description == "AWS profile half has no aws_secret_access_key")
    }

    @Test func withoutKeysOrProfiles_theContainerEndpoint_thenInstanceMetadata() throws {
        #expect(try Self.chain(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"], files: false).source()
                == .container(url: "http://169.254.170.2/v2/credentials/abc", authorizationTokenFile: nil, hasAuthorizationToken: false))
        #expect(try Self.chain(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials",
                                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"],
                               files: false).source()
                == .container(url: "http://169.254.170.23/v1/credentials",
                              authorizationTokenFile: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token", hasAuthorizationToken: false))
        #expect(try Self.chain([:], files: false).source() == .instanceMetadata(endpoint: "http://169.254.169.254"))
        #expect(throws: AWSConfigError.noCredentials) { try Self.chain(["AWS_EC2_METADATA_DISABLED": "true"], files: false).source() }
    }

    @Test func region_fromTheEnvironment_elseTheProfile() {
        #expect(Self.chain(["AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "us-west-1"]).region() == "ap-south-1")
        #expect(Self.chain(["AWS_DEFAULT_REGION": "us-west-1"]).region() == "us-west-1")
        #expect(Self.chain(["AWS_PROFILE": "audit"]).region() == "us-east-2")
        #expect(Self.chain([:]).region() == "eu-west-1")
        #expect(Self.chain([:], files: false).region() == nil)
    }

    @Test func endpoint_servicesOwnVariable_thenTheGeneralOne_thenAWS() throws {
        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000/", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:5001"]
        #expect(try Self.chain(env).endpoint(service: "sqs", region: "us-east-1") == "http://127.0.0.1:5001")
        #expect(try Self.chain(env).endpoint(service: "s3", region: "us-east-1") == "http://127.0.0.1:5000")
        #expect(try Self.chain([:]).endpoint(service: "s3", region: "eu-west-1") == "https://s3.eu-west-1.amazonaws.com")
        #expect(throws: AWSConfigError.badEndpoint("localhost:5000")) { try Self.chain(["AWS_ENDPOINT_URL": "localhost:5000"]).endpoint(service: "s3", region: "x") }
    }

    @Test func credentials_describeThemselvesWithoutTheSecret() {
        let k = AWSCredentials(accessKeyID: "AKIAEXAMPLEKEY123456", secretAccessKey: "s3cr3t", sessionToken: "t0k3n", expiration: 1000, source: "environment")
        #expect(k.description == "AWS credentials AKIA… from environment (temporary)")
        #expect(k.expires(within: 300, now: 800) && !k.expires(within: 300, now: 600))
    }
}
