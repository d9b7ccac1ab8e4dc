/// # VigilAWS
///
/// What reading logs where they are (S3 buckets, SQS notifications) needs from AWS, and nothing
/// more: Signature Version 4 (``SigV4``), the standard credential chain (``CredentialChain``) and
/// the region and endpoint rules the AWS SDKs follow. Pure functions over strings and the
/// environment; the HTTP clients that use them live with the sources.
///
/// ```swift
/// let chain = CredentialChain(environment: ProcessInfo.processInfo.environment, credentialsFile: nil, configFile: nil)
/// if case .keys(let creds) = try chain.source() {
///     let r = SignableRequest(method: "GET", host: "my-trail.s3.us-east-1.amazonaws.com", path: "/",
///                             query: [("list-type", "2"), ("prefix", "AWSLogs/")])
///     let signed = SigV4.sign(r, credentials: creds, region: "us-east-1", service: "s3",
///                             at: SigV4.Stamp(epochMillis: nowMillis), s3: true)
///     // send r with signed.headers
/// }
/// ```
enum VigilAWS {}
