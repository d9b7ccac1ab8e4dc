import Foundation
import Testing
@testable import VigilAWS

/// What Vigil reads from S3's answers (listings, error documents) and how it finds CloudTrail's
/// folders in a key: the parts of reading a bucket that need no server.
@Suite struct S3ListingTests {
    /// A ListObjectsV2 page as S3 sends it (cut, with a continuation token; one key needs its
    /// `&amp;` decoded).
    static let page = """
    <?xml version="1.0" encoding="UTF-8"?>
    <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>org-trail</Name><Prefix>AWSLogs/</Prefix>\
    <KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\
    <Contents><Key>AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0005Z_Ab12.json.gz</Key>\
    <LastModified>2024-05-01T00:06:12.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>1843</Size>\
    <StorageClass>STANDARD</StorageClass></Contents>\
    <Contents><Key>notes/R&amp;D.txt</Key><LastModified>2024-05-01T00:00:00.000Z</LastModified><Size>7</Size></Contents>\
    <CommonPrefixes><Prefix>AWSLogs/111122223333/</Prefix></CommonPrefixes>\
    <CommonPrefixes><Prefix>AWSLogs/o-a1b2c3d4e5/</Prefix></CommonPrefixes>\
    <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>
    """

    @Test func aListingPageGivesKeysSizesPrefixesAndTheNextToken() throws {
        let p = try S3Client.parseList(Self.page, operation: "ListObjectsV2")
        #expect(p.entries.map(\.key) == ["AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0005Z_Ab12.json.gz",
                                         "notes/R&D.txt"])
        #expect(p.entries.map(\.size) == [1843, 7])
        #expect(p.prefixes == ["AWSLogs/111122223333/", "AWSLogs/o-a1b2c3d4e5/"])   // not the request's own <Prefix>
        #expect(p.continuation == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
    }

    @Test func theLastPageHasNoTokenAndAnErrorDocumentIsNotAListing() throws {
        let last = Self.page.replacingOccurrences(of: "<IsTruncated>true</IsTruncated>", with: "<IsTruncated>false</IsTruncated>")
        #expect(try S3Client.parseList(last, operation: "ListObjectsV2").continuation == nil)
        let cut = Self.page.replacingOccurrences(of: "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>", with: "")
        #expect(throws: AWSError.self) { try S3Client.parseList(cut, operation: "ListObjectsV2") }
        #expect(throws: AWSError.self) { try S3Client.parseList("<Error><Code>AccessDenied</Code></Error>", operation: "ListObjectsV2") }
    }

    @Test func serviceErrorsNameTheCodeAndWhatToCheck() {
        let xml = HTTPResponse(status: 403, headers: [:], body: Array("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".utf8))
        let e = AWSClient.serviceError("GetObject s3://b/k", xml)
        #expect(e.code == "AccessDenied")
        #expect(e.description.contains("GetObject s3://b/k: HTTP 403 AccessDenied: Access Denied"))
        #expect(e.description.contains("IAM policy"))
        let json = HTTPResponse(status: 400, headers: [:], body: Array(#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#.utf8))
        #expect(AWSClient.serviceError("ReceiveMessage", json).code == "QueueDoesNotExist")
        #expect(AWSClient.serviceError("GetObject", HTTPResponse(status: 404, headers: [:], body: [])).code == "NotFound")
    }

    @Test func throttlingAndServerErrorsAreRetriedAndDenialsAreNot() {
        func answer(_ status: Int, _ body: String = "") -> HTTPResponse { HTTPResponse(status: status, headers: [:], body: Array(body.utf8)) }
        #expect(AWSRetryPolicy.retryable(answer(503, "<Error><Code>SlowDown</Code></Error>")))
        #expect(AWSRetryPolicy.retryable(answer(500)))
        #expect(AWSRetryPolicy.retryable(answer(429)))
        #expect(AWSRetryPolicy.retryable(answer(400, "<Error><Code>ThrottlingException</Code></Error>")))
        #expect(!AWSRetryPolicy.retryable(answer(403, "<Error><Code>AccessDenied</Code></Error>")))
        #expect(!AWSRetryPolicy.retryable(answer(404)))
        let p = AWSRetryPolicy()
        for attempt in 1...30 { #expect(p.delay(afterAttempt: attempt) < p.maxBackoffSeconds) }
    }

    @Test func cloudTrailFoldersAreFoundAtTheRegionLevel() {
        #expect(S3Listing.regionLevel("AWSLogs/111122223333/CloudTrail/us-east-1/") != nil)
        #expect(S3Listing.regionLevel("trails/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/") != nil)
        #expect(S3Listing.regionLevel("AWSLogs/111122223333/CloudTrail/") == nil)
        #expect(S3Listing.regionLevel("AWSLogs/111122223333/CloudTrail/us-east-1") == nil)   // not yet a folder
        #expect(S3Listing.insideRegion("AWSLogs/111122223333/CloudTrail/us-east-1/2024/"))
        #expect(S3Listing.insideRegion("AWSLogs/111122223333/CloudTrail/us-east-1/2024"))
        #expect(!S3Listing.insideRegion("AWSLogs/111122223333/CloudTrail/us-east-1/"))
        #expect(!S3Listing.insideRegion("AWSLogs/111122223333/"))
        #expect(S3Listing.isDigest("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/"))
        #expect(S3Listing.digits(2024, 4) == "2024" && S3Listing.digits(5, 2) == "05")
    }

    @Test func aFollowedKeyBelongsToItsRegionFolder() {
        #expect(S3Follower.folder(of: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x_20240501T0005Z_a.json.gz")
                == "AWSLogs/111122223333/CloudTrail/us-east-1/")
        #expect(S3Follower.folder(of: "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2024/05/01/x.json.gz")
                == "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/")
        #expect(S3Follower.folder(of: "exports/okta/2024-05-01.jsonl") == "exports/okta/")
        #expect(S3Follower.folder(of: "top.jsonl") == "")
    }

    @Test func s3URLsAndEndpointsSplitAsTheyAreSigned() {
        let loc = S3Location("s3://org-trail/AWSLogs/111122223333/")
        #expect(loc?.bucket == "org-trail" && loc?.prefix == "AWSLogs/111122223333/")
        #expect(S3Location("s3://org-trail")?.prefix == "")
        #expect(S3Location("s3:///AWSLogs") == nil)
        #expect(S3Location("/var/log/trail") == nil)
        #expect(AWSEndpoint("http://127.0.0.1:5000").hostHeader == "127.0.0.1:5000")
        #expect(AWSEndpoint("https://s3.eu-west-1.amazonaws.com").hostHeader == "s3.eu-west-1.amazonaws.com")
        #expect(AWSEndpoint("https://minio.internal:443/").hostHeader == "minio.internal")
    }

    @Test func containerAndMetadataCredentialsDecodeWithTheirExpiry() throws {
        let doc = #"{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s3cr3t","Token":"tok","Expiration":"2026-12-07T12:00:00Z"}"#
        let c = try CredentialProvider.decodeJSONCredentials(Array(doc.utf8), source: "EC2 instance metadata (role r)")
        #expect(c.accessKeyID == "ASIAEXAMPLE" && c.sessionToken == "tok")
        #expect(c.expiration == 1_796_644_800)
        #expect(c.expires(within: 300, now: 1_796_644_600))
        #expect(!c.expires(within: 300, now: 1_796_644_000))
        #expect(!c.description.contains("s3cr3t") && !c.description.contains("tok\u{20}"))
        #expect(throws: AWSError.self) { try CredentialProvider.decodeJSONCredentials(Array("<html>".utf8), source: "container") }
    }
}
