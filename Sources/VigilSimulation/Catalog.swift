/// What each kind of principal typically calls, with realistic parameters.
struct Catalog {
    let org: Organisation

    func s3Get(_ rng: inout SimRandom, bucket: String, key: String, bytes: Int) -> Call {
        var c = Call("s3", "GetObject", readOnly: true,
                     request: Call.obj([("bucketName", bucket), ("Host", "\(bucket).s3.amazonaws.com"), ("key", key)]))
        c.data = true
        c.additional = "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"\(rng.hex(24))\",\"bytesTransferredOut\":\(bytes)}"
        c.resources = "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"\(org.bucketARN(bucket, key: key))\"},{\"accountId\":\"\(org.account)\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"\(org.bucketARN(bucket))\"}]"
        return c
    }

    func s3Put(_ rng: inout SimRandom, bucket: String, key: String, bytes: Int) -> Call {
        var c = Call("s3", "PutObject", readOnly: false,
                     request: Call.obj([("bucketName", bucket), ("Host", "\(bucket).s3.amazonaws.com"), ("key", key)]))
        c.data = true
        c.additional = "{\"SignatureVersion\":\"SigV4\",\"bytesTransferredIn\":\(bytes),\"AuthenticationMethod\":\"AuthHeader\",\"bytesTransferredOut\":0}"
        c.resources = "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"\(org.bucketARN(bucket, key: key))\"},{\"accountId\":\"\(org.account)\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"\(org.bucketARN(bucket))\"}]"
        return c
    }

    func listObjects(bucket: String) -> Call {
        var c = Call("s3", "ListObjects", readOnly: true,
                     request: Call.obj([("bucketName", bucket), ("list-type", "2"), ("prefix", "")]))
        c.data = true
        return c
    }

    func describeInstances(_ rng: inout SimRandom) -> Call {
        Call("ec2", "DescribeInstances", readOnly: true,
             request: "{\"instancesSet\":{\"items\":[{\"instanceId\":\"\(rng.pick(org.instances))\"}]},\"filterSet\":{}}")
    }

    func getSecret(_ name: String) -> Call {
        Call("secretsmanager", "GetSecretValue", readOnly: true,
             request: Call.obj([("secretId", "arn:aws:secretsmanager:us-east-1:\(org.account):secret:\(name)-AbCdEf")]))
    }

    /// A developer's day: describe, read logs, pull images, the odd deploy.
    func developer(_ rng: inout SimRandom) -> Call {
        rng.weighted([
            (describeInstances(&rng), 14),
            (Call("ec2", "DescribeSecurityGroups", readOnly: true, request: "{\"filterSet\":{}}"), 4),
            (Call("logs", "FilterLogEvents", readOnly: true, request: Call.obj([("logGroupName", "/aws/lambda/\(rng.pick(org.functions))")])), 10),
            (Call("lambda", "GetFunction20150331v2", readOnly: true, request: Call.obj([("functionName", rng.pick(org.functions))])), 6),
            (Call("lambda", "ListFunctions20150331", readOnly: true), 3),
            (Call("cloudformation", "DescribeStacks", readOnly: true, request: Call.obj([("stackName", "\(rng.pick(org.functions))-stack")])), 6),
            (Call("sts", "GetCallerIdentity", readOnly: true), 4),
            (Call("ecr", "GetAuthorizationToken", readOnly: true), 3),
            (Call("dynamodb", "DescribeTable", readOnly: true, request: Call.obj([("tableName", rng.pick(org.tables))])), 4),
            (Call("ssm", "GetParameter", readOnly: true, request: "{\"name\":\"\(rng.pick(org.parameters))\",\"withDecryption\":false}"), 3),
            (s3Get(&rng, bucket: rng.pick(org.buckets), key: "build/\(rng.hex(8)).json", bytes: rng.int(2_000...400_000)), 6),
            (Call("s3", "ListBuckets", readOnly: true, request: Call.obj([("Host", "s3.amazonaws.com")])), 2),
            (Call("lambda", "UpdateFunctionCode20150331v2", readOnly: false, request: Call.obj([("functionName", rng.pick(org.functions)), ("publish", "true")])), 1),
            (Call("cloudwatch", "GetMetricData", readOnly: true), 4),
        ])
    }

    /// An analyst: data lake reads and Athena queries.
    func analyst(_ rng: inout SimRandom) -> Call {
        let lake = ["acme-datalake-raw", "acme-datalake-curated", "acme-athena-results"]
        return rng.weighted([
            (s3Get(&rng, bucket: rng.pick(lake), key: "tables/\(rng.pick(["orders", "sessions", "events"]))/part-\(rng.int(0...400)).parquet", bytes: rng.int(200_000...8_000_000)), 10),
            (listObjects(bucket: rng.pick(lake)), 4),
            (Call("athena", "StartQueryExecution", readOnly: false, request: Call.obj([("workGroup", "analysts")])), 5),
            (Call("athena", "GetQueryExecution", readOnly: true), 6),
            (Call("athena", "GetQueryResults", readOnly: true), 5),
            (Call("glue", "GetTable", readOnly: true, request: Call.obj([("databaseName", "lake"), ("name", rng.pick(["orders", "sessions", "events"]))])), 4),
            (Call("sts", "GetCallerIdentity", readOnly: true), 1),
        ])
    }

    /// A cloud administrator: IAM reads, occasional changes, governance.
    func admin(_ rng: inout SimRandom) -> Call {
        rng.weighted([
            (Call("iam", "ListUsers", readOnly: true), 4),
            (Call("iam", "GetUser", readOnly: true), 3),
            (Call("iam", "ListRoles", readOnly: true), 4),
            (Call("iam", "GetRole", readOnly: true, request: Call.obj([("roleName", rng.pick(["ci-deploy", "etl-nightly", "lambda-web-handler"]))])), 4),
            (Call("iam", "ListAttachedRolePolicies", readOnly: true), 3),
            (Call("iam", "GetPolicyVersion", readOnly: true), 2),
            (Call("cloudtrail", "DescribeTrails", readOnly: true), 2),
            (Call("cloudtrail", "GetTrailStatus", readOnly: true, request: Call.obj([("name", "org-trail")])), 2),
            (Call("config", "DescribeConfigRules", readOnly: true), 2),
            (Call("organizations", "ListAccounts", readOnly: true), 2),
            (describeInstances(&rng), 5),
            (Call("s3", "GetBucketPolicy", readOnly: true, request: Call.obj([("bucketName", rng.pick(org.buckets))])), 2),
            (Call("iam", "AttachRolePolicy", readOnly: false, request: Call.obj([("roleName", "lambda-\(rng.pick(org.functions))"), ("policyArn", "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")])), 0.4),
            (Call("iam", "TagRole", readOnly: false, request: Call.obj([("roleName", "ci-deploy")])), 0.4),
        ])
    }

    /// A CI deployment pipeline step.
    func ciDeploy(_ rng: inout SimRandom) -> Call {
        let fn = rng.pick(org.functions)
        return rng.weighted([
            (Call("cloudformation", "DescribeStacks", readOnly: true, request: Call.obj([("stackName", "\(fn)-stack")])), 8),
            (Call("cloudformation", "CreateChangeSet", readOnly: false, request: Call.obj([("stackName", "\(fn)-stack"), ("changeSetName", "deploy-\(rng.hex(6))")])), 2),
            (Call("cloudformation", "ExecuteChangeSet", readOnly: false, request: Call.obj([("stackName", "\(fn)-stack")])), 2),
            (Call("cloudformation", "DescribeStackEvents", readOnly: true, request: Call.obj([("stackName", "\(fn)-stack")])), 8),
            (s3Put(&rng, bucket: rng.pick(org.buckets.filter { $0.hasSuffix("artifacts") }), key: "releases/\(rng.hex(10)).zip", bytes: rng.int(1_000_000...30_000_000)), 3),
            (Call("ecr", "GetAuthorizationToken", readOnly: true), 2),
            (Call("ecr", "PutImage", readOnly: false, request: Call.obj([("repositoryName", fn)])), 2),
            (Call("lambda", "UpdateFunctionCode20150331v2", readOnly: false, request: Call.obj([("functionName", fn), ("publish", "true")])), 2),
            (Call("lambda", "GetFunction20150331v2", readOnly: true, request: Call.obj([("functionName", fn)])), 3),
            (Call("sts", "GetCallerIdentity", readOnly: true), 1),
        ])
    }

    /// A Lambda function's execution role: its own table, queue, key and secret.
    func lambdaExec(_ rng: inout SimRandom, team: String) -> Call {
        rng.weighted([
            (Call("dynamodb", "GetItem", readOnly: true, request: Call.obj([("tableName", "\(team)-state")])), 8),
            (Call("dynamodb", "PutItem", readOnly: false, request: Call.obj([("tableName", "\(team)-state")])), 5),
            (Call("sqs", "ReceiveMessage", readOnly: true, request: Call.obj([("queueUrl", "https://sqs.us-east-1.amazonaws.com/123456789012/\(team)-jobs")])), 6),
            (Call("sqs", "DeleteMessage", readOnly: false, request: Call.obj([("queueUrl", "https://sqs.us-east-1.amazonaws.com/123456789012/\(team)-jobs")])), 4),
            (Call("kms", "Decrypt", readOnly: true, request: Call.obj([("encryptionAlgorithm", "SYMMETRIC_DEFAULT")])), 3),
            (getSecret("prod/\(team)/db-password"), 0.6),
            (s3Get(&rng, bucket: "acme-\(team)-artifacts", key: "config/\(team).json", bytes: rng.int(500...20_000)), 2),
        ])
    }

    /// A nightly ETL job: bulk reads and writes in the data lake.
    func etl(_ rng: inout SimRandom) -> Call {
        rng.weighted([
            (s3Get(&rng, bucket: "acme-datalake-raw", key: "ingest/\(rng.hex(12)).json.gz", bytes: rng.int(5_000_000...60_000_000)), 10),
            (s3Put(&rng, bucket: "acme-datalake-curated", key: "tables/orders/part-\(rng.hex(8)).parquet", bytes: rng.int(5_000_000...40_000_000)), 6),
            (Call("glue", "GetTable", readOnly: true, request: Call.obj([("databaseName", "lake"), ("name", "orders")])), 2),
            (Call("glue", "BatchCreatePartition", readOnly: false), 1),
            (listObjects(bucket: "acme-datalake-raw"), 2),
        ])
    }

    /// A monitoring SaaS polling metrics and inventory.
    func monitoring(_ rng: inout SimRandom) -> Call {
        rng.weighted([
            (Call("cloudwatch", "GetMetricData", readOnly: true), 10),
            (Call("cloudwatch", "ListMetrics", readOnly: true), 3),
            (describeInstances(&rng), 3),
            (Call("tag", "GetResources", readOnly: true), 2),
            (Call("rds", "DescribeDBInstances", readOnly: true), 1),
        ])
    }

    /// The backup role: nightly snapshots.
    func backup(_ rng: inout SimRandom) -> Call {
        rng.weighted([
            (Call("ec2", "CreateSnapshot", readOnly: false, request: Call.obj([("volumeId", rng.pick(org.volumes)), ("description", "nightly")])), 5),
            (Call("ec2", "DescribeSnapshots", readOnly: true), 3),
            (Call("ec2", "DeleteSnapshot", readOnly: false, request: Call.obj([("snapshotId", "snap-0" + rng.hex(16))])), 2),
            (Call("rds", "CreateDBSnapshot", readOnly: false, request: Call.obj([("dBInstanceIdentifier", "orders-db"), ("dBSnapshotIdentifier", "nightly-\(rng.hex(6))")])), 1),
        ])
    }
}
