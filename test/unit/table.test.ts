import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deleteItem, getItem, putItem, readAll, updateItem } from '../../lib/table.js';
import { testClients } from '../support/deps.js';

const dynamo = mockClient(DynamoDBClient);
const client = testClients().dynamo;

beforeEach(() => {
  dynamo.reset();
});

describe('getItem', () => {
  it('reads by key and returns the item as a plain object, nested values included', async () => {
    dynamo.on(GetItemCommand).resolves({
      Item: {
        id: { S: 'rem-1' },
        count: { N: '3' },
        action: { M: { kind: { S: 'deactivate-keys' }, keys: { L: [{ S: 'AKIA1' }, { S: 'AKIA2' }] } } },
      },
    });

    const item = await getItem(client, 'audit', { id: 'rem-1' });

    expect(item).toEqual({
      id: 'rem-1',
      count: 3,
      action: { kind: 'deactivate-keys', keys: ['AKIA1', 'AKIA2'] },
    });
    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: 'audit',
      Key: { id: { S: 'rem-1' } },
    });
    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input).not.toHaveProperty('ConsistentRead');
  });

  it('returns undefined when there is no such item', async () => {
    dynamo.on(GetItemCommand).resolves({});

    await expect(getItem(client, 'audit', { id: 'missing' })).resolves.toBeUndefined();
  });

  it('asks for a strongly consistent read when told to', async () => {
    dynamo.on(GetItemCommand).resolves({});

    await getItem(client, 'audit', { id: 'rem-1' }, { consistentRead: true });

    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, { ConsistentRead: true });
  });
});

describe('putItem', () => {
  it('writes the item as attribute values, leaving out undefined properties', async () => {
    dynamo.on(PutItemCommand).resolves({});

    await putItem(client, 'audit', { id: 'rem-1', error: undefined, tags: ['a'], expiration: 17 });

    const input = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TableName: 'audit',
      Item: { id: { S: 'rem-1' }, tags: { L: [{ S: 'a' }] }, expiration: { N: '17' } },
    });
  });

  it('passes a condition on, and its failure back', async () => {
    const failure = Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' });
    dynamo.on(PutItemCommand).rejects(failure);

    await expect(putItem(client, 'audit', { id: 'rem-1' }, 'attribute_not_exists(id)')).rejects.toBe(failure);
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      ConditionExpression: 'attribute_not_exists(id)',
    });
  });
});

describe('deleteItem', () => {
  it('deletes by marshalled key', async () => {
    dynamo.on(DeleteItemCommand).resolves({});

    await deleteItem(client, 'marks', { id: 'iam-warden#failure-notified#x' });

    expect(dynamo.commandCalls(DeleteItemCommand)[0]?.args[0].input).toEqual({
      TableName: 'marks',
      Key: { id: { S: 'iam-warden#failure-notified#x' } },
    });
  });
});

describe('updateItem', () => {
  it('sends the expression with marshalled values, and names only when given', async () => {
    dynamo.on(UpdateItemCommand).resolves({});

    await updateItem(client, 'audit', { id: 'rem-1' }, { expression: 'SET a = :a', values: { ':a': 'x' } });
    await updateItem(
      client,
      'audit',
      { id: 'rem-2' },
      { expression: 'SET #status = :s', values: { ':s': 'applied' }, names: { '#status': 'status' } },
    );

    const [first, second] = dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(first).toEqual({
      TableName: 'audit',
      Key: { id: { S: 'rem-1' } },
      UpdateExpression: 'SET a = :a',
      ExpressionAttributeValues: { ':a': { S: 'x' } },
    });
    expect(second).toMatchObject({
      Key: { id: { S: 'rem-2' } },
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'applied' } },
    });
  });
});

describe('readAll', () => {
  it('queries with a key condition, newest first, following every page', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ id: { S: 'a' } }], LastEvaluatedKey: { id: { S: 'a' } } })
      .resolvesOnce({ Items: [{ id: { S: 'b' } }, { id: { S: 'c' } }] });

    const items = await readAll(client, {
      table: 'audit',
      index: 'byResource',
      keyCondition: 'resourceArn = :arn',
      values: { ':arn': 'arn:aws:iam::123456789012:user/u' },
      newestFirst: true,
    });

    expect(items).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const inputs = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toEqual({
      TableName: 'audit',
      IndexName: 'byResource',
      KeyConditionExpression: 'resourceArn = :arn',
      ExpressionAttributeValues: { ':arn': { S: 'arn:aws:iam::123456789012:user/u' } },
      ScanIndexForward: false,
    });
    expect(inputs[1]).toMatchObject({ ExclusiveStartKey: { id: { S: 'a' } } });
    expect(dynamo).not.toHaveReceivedCommand(ScanCommand);
  });

  it('scans without a key condition, with the filter, following every page', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ n: { N: '1' } }], LastEvaluatedKey: { id: { S: 'x' } } })
      .resolvesOnce({ Items: [{ n: { N: '2' } }] });

    const items = await readAll(client, {
      table: 'audit',
      filter: 'createdAt >= :since',
      values: { ':since': '0' },
    });

    expect(items).toEqual([{ n: 1 }, { n: 2 }]);
    const inputs = dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toEqual({
      TableName: 'audit',
      FilterExpression: 'createdAt >= :since',
      ExpressionAttributeValues: { ':since': { S: '0' } },
    });
    expect(inputs[1]).toMatchObject({ ExclusiveStartKey: { id: { S: 'x' } } });
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
  });
});
