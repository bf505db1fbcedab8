import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplate } from '../../../lib/template.js';
import {
  type CfnTemplate,
  DEFAULT_SCOPE,
  Evaluator,
  type Json,
  referencedId,
  resourcesOfType,
  samTransform,
} from '../../support/cfn.js';

type Props = Record<string, Json>;

const props = (template: CfnTemplate, id: string): Props => template.Resources[id]?.Properties ?? {};

/** Alarms watching a metric of a resource, by namespace, metric and dimension. */
function alarmsOn(template: CfnTemplate, namespace: string, metric: string, dimension: string, id: string) {
  return resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(([, alarm]) => {
    const p = alarm.Properties ?? {};
    const dimensions = (p.Dimensions ?? []) as { Name: string; Value: Json }[];
    return (
      p.Namespace === namespace &&
      p.MetricName === metric &&
      dimensions.some((d) => d.Name === dimension && referencedId(d.Value) === id)
    );
  });
}

/** Whether an alarm notifies the stack's SNS topic. */
function notifiesTopic(template: CfnTemplate, alarm: Props): boolean {
  return ((alarm.AlarmActions ?? []) as Json[]).some(
    (action) => template.Resources[referencedId(action) ?? '']?.Type === 'AWS::SNS::Topic',
  );
}

describe('resources of the transformed template', () => {
  let template: CfnTemplate;
  // The translator is a Python process taking a second or more, longer on a busy machine.
  beforeAll(() => {
    template = samTransform();
  }, 60_000);

  describe('encryption at rest', () => {
    it('encrypts every SNS topic with a KMS key', () => {
      const topics = resourcesOfType(template, 'AWS::SNS::Topic');
      expect(topics).not.toEqual([]);
      for (const [id] of topics) expect(props(template, id).KmsMasterKeyId, id).toBeDefined();
    });

    it('encrypts every SQS queue', () => {
      const queues = resourcesOfType(template, 'AWS::SQS::Queue');
      expect(queues).not.toEqual([]);
      for (const [id] of queues) {
        const p = props(template, id);
        expect(p.SqsManagedSseEnabled === true || p.KmsMasterKeyId !== undefined, id).toBe(true);
      }
    });

    it('encrypts every DynamoDB table with KMS', () => {
      const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
      expect(tables).not.toEqual([]);
      for (const [id] of tables) {
        expect((props(template, id).SSESpecification as Props | undefined)?.SSEEnabled, id).toBe(true);
      }
    });

    it('encrypts every S3 bucket, blocks public access and refuses plain HTTP', () => {
      const buckets = resourcesOfType(template, 'AWS::S3::Bucket');
      expect(buckets).not.toEqual([]);
      const policies = resourcesOfType(template, 'AWS::S3::BucketPolicy');
      for (const [id] of buckets) {
        const p = props(template, id);
        const encryption = p.BucketEncryption as { ServerSideEncryptionConfiguration?: Json[] } | undefined;
        expect(encryption?.ServerSideEncryptionConfiguration?.length, id).toBeGreaterThan(0);
        expect(p.PublicAccessBlockConfiguration, id).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        const policy = policies.find(
          ([, bucketPolicy]) => referencedId(bucketPolicy.Properties?.Bucket) === id,
        );
        const statements = ((policy?.[1].Properties?.PolicyDocument as Props | undefined)?.Statement ??
          []) as Props[];
        expect(
          statements.some(
            (s) =>
              s.Effect === 'Deny' &&
              JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
          `${id} denies requests without TLS`,
        ).toBe(true);
      }
    });
  });

  describe('logs', () => {
    it('sets a retention on every log group', () => {
      for (const [id] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
        expect(props(template, id).RetentionInDays, id).toBeDefined();
      }
    });

    it('logs every function to a log group of the stack, so the retention applies', () => {
      // Without it Lambda creates /aws/lambda/<name> itself, kept forever.
      for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        const logGroup = referencedId((fn.Properties?.LoggingConfig as Props | undefined)?.LogGroup);
        expect(template.Resources[logGroup ?? '']?.Type, id).toBe('AWS::Logs::LogGroup');
      }
    });
  });

  describe('alarms', () => {
    it('alarms on the errors and throttles of every function, to the topic', () => {
      for (const [id] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        for (const metric of ['Errors', 'Throttles']) {
          const alarms = alarmsOn(template, 'AWS/Lambda', metric, 'FunctionName', id);
          expect(alarms.length, `${metric} alarm of ${id}`).toBeGreaterThan(0);
          for (const [alarmId, alarm] of alarms) {
            expect(notifiesTopic(template, alarm.Properties ?? {}), alarmId).toBe(true);
          }
        }
      }
    });

    it('alarms on the depth of every queue failed events go to, to the topic', () => {
      const deadLetterQueues = new Set<string>();
      const collect = (value: Json | undefined): void => {
        if (Array.isArray(value)) value.forEach(collect);
        else if (value !== null && typeof value === 'object') {
          for (const [key, item] of Object.entries(value)) {
            if ((key === 'DeadLetterConfig' || key === 'OnFailure') && item && typeof item === 'object') {
              const target = referencedId((item as Props).Arn ?? (item as Props).Destination);
              if (target) deadLetterQueues.add(target);
            }
            collect(item);
          }
        }
      };
      collect(template.Resources as unknown as Json);
      expect(deadLetterQueues.size).toBeGreaterThan(0);
      for (const queue of deadLetterQueues) {
        const alarms = alarmsOn(
          template,
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'QueueName',
          queue,
        );
        expect(alarms.length, `depth alarm of ${queue}`).toBeGreaterThan(0);
        for (const [alarmId, alarm] of alarms) {
          expect(notifiesTopic(template, alarm.Properties ?? {}), alarmId).toBe(true);
        }
      }
    });
  });

  describe('region', () => {
    /** Whether every rule's assertions hold in a region with these parameter values. */
    function deployable(region: string, parameters: Record<string, string> = {}): boolean {
      const evaluator = new Evaluator(template, { ...DEFAULT_SCOPE, region, parameters });
      return Object.values(template.Rules ?? {}).every(
        (rule) =>
          (rule.RuleCondition !== undefined && evaluator.resolve(rule.RuleCondition) === false) ||
          rule.Assertions.every((assertion) => evaluator.resolve(assertion.Assert) === true),
      );
    }

    it('deploys in us-east-1 and cn-north-1, where IAM events reach EventBridge', () => {
      expect(deployable('us-east-1')).toBe(true);
      expect(deployable('cn-north-1')).toBe(true);
    });

    it('refuses other regions', () => {
      expect(deployable('eu-west-1')).toBe(false);
      expect(deployable('us-west-2')).toBe(false);
    });

    it('deploys in other regions once IAM events are forwarded there', () => {
      expect(deployable('eu-west-1', { IamEventsForwarded: 'true' })).toBe(true);
    });
  });

  describe('CloudTrail trail', () => {
    it('creates no trail by default', () => {
      const evaluator = new Evaluator(template);
      for (const [id] of resourcesOfType(template, 'AWS::CloudTrail::Trail')) {
        expect(evaluator.exists(id), id).toBe(false);
      }
    });

    it('creates a multi-region trail of management write events when asked', () => {
      const evaluator = new Evaluator(template, { ...DEFAULT_SCOPE, parameters: { CreateTrail: 'true' } });
      const trails = resourcesOfType(template, 'AWS::CloudTrail::Trail').filter(([id]) =>
        evaluator.exists(id),
      );
      expect(trails).toHaveLength(1);
      const [id, trail] = trails[0] ?? [];
      const p = evaluator.resolve(trail?.Properties ?? {}) as Props;
      expect(p).toMatchObject({
        IsLogging: true,
        IsMultiRegionTrail: true,
        IncludeGlobalServiceEvents: true,
        EventSelectors: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }],
      });
      const bucket = referencedId(trail?.Properties?.S3BucketName);
      expect(evaluator.exists(bucket ?? ''), `${id} bucket`).toBe(true);
    });

    it('lets only this trail write to its bucket', () => {
      const evaluator = new Evaluator(template, { ...DEFAULT_SCOPE, parameters: { CreateTrail: 'true' } });
      const [[trailId, trail] = []] = resourcesOfType(template, 'AWS::CloudTrail::Trail');
      const trailArn = `arn:aws:cloudtrail:us-east-1:${DEFAULT_SCOPE.accountId}:trail/${String(
        evaluator.resolve(trail?.Properties?.TrailName ?? ''),
      )}`;
      const [[, policy] = []] = resourcesOfType(template, 'AWS::S3::BucketPolicy');
      const statements = (
        evaluator.resolve(policy?.Properties?.PolicyDocument ?? {}) as { Statement: Props[] }
      ).Statement;
      const cloudTrail = statements.filter(
        (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudtrail.amazonaws.com' }),
      );
      expect(cloudTrail.map((s) => s.Action).sort(), String(trailId)).toEqual([
        's3:GetBucketAcl',
        's3:PutObject',
      ]);
      for (const statement of cloudTrail) {
        expect(statement.Condition).toMatchObject({ StringEquals: { 'aws:SourceArn': trailArn } });
      }
    });
  });

  describe('tracing', () => {
    it('traces nothing by default', () => {
      for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        expect(fn.Properties?.TracingConfig, id).toBeUndefined();
      }
    });

    it('turns on X-Ray tracing of every function with the Tracing parameter', () => {
      const traced = samTransform(loadTemplate(), { Tracing: 'Active' });
      const evaluator = new Evaluator(traced, { ...DEFAULT_SCOPE, parameters: { Tracing: 'Active' } });
      for (const [id, fn] of resourcesOfType(traced, 'AWS::Lambda::Function')) {
        expect(evaluator.resolve(fn.Properties?.TracingConfig ?? null), id).toEqual({ Mode: 'Active' });
      }
    }, 60_000);
  });
});
