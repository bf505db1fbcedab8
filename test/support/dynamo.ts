import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { type Item, toAttributes } from '../../lib/table.js';

/**
 * Unit tests mock the raw DynamoDB client (`mockClient(DynamoDBClient)`), which speaks attribute values
 * (`{ S: 'applied' }`). These keep the tests in plain objects, converting with the same marshalling as
 * `lib/table.ts`.
 */

/** A plain object as attribute values: `attributes({ ':status': 'applied' })`. */
export const attributes = toAttributes;

/** A GetItem answer that holds this item. */
export function itemOutput(item: object): { Item: ReturnType<typeof toAttributes> } {
  return { Item: toAttributes(item) };
}

/** A Query or Scan answer that holds these items (one page). */
export function itemsOutput(items: readonly object[]): { Items: ReturnType<typeof toAttributes>[] } {
  return { Items: items.map((item) => toAttributes(item)) };
}

/** The items the client was asked to put, in order, as plain objects of the caller's type. */
export function putItems<T extends object = Item>(dynamo: AwsClientStub<DynamoDBClient>): T[] {
  return dynamo.commandCalls(PutItemCommand).map((call) => unmarshall(call.args[0].input.Item ?? {}) as T);
}
