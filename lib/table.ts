import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Deps } from './deps.js';

/**
 * iam-warden's items in its DynamoDB tables, as plain objects. The raw client plus AWS's own marshalling
 * (`@aws-sdk/util-dynamodb`, which Powertools' idempotency layer bundles anyway) instead of the document
 * client: the same attribute values on the wire, 5.5 kB less in every bundle.
 */
export type Item = Record<string, unknown>;

type Dynamo = Deps['dynamo'];

/** Attribute values of a plain object; `undefined` properties are left out, as the document client did. */
export function toAttributes(item: object) {
  return marshall(item as Item, { removeUndefinedValues: true });
}

/** The item with this key, if any, as the caller's type of item (the table does not check its shape). */
export async function getItem<T extends object = Item>(
  dynamo: Dynamo,
  table: string,
  key: Item,
  options: { consistentRead?: boolean } = {},
): Promise<T | undefined> {
  const out = await dynamo.send(
    new GetItemCommand({
      TableName: table,
      Key: toAttributes(key),
      ...(options.consistentRead ? { ConsistentRead: true } : {}),
    }),
  );
  return out.Item === undefined ? undefined : (unmarshall(out.Item) as T);
}

/** A condition expression, with the attribute names and values it refers to. */
export interface Condition {
  readonly expression: string;
  readonly names?: Record<string, string>;
  readonly values?: Item;
}

/** Write an item whole; with `condition`, only if it holds (else `ConditionalCheckFailedException`). */
export async function putItem(
  dynamo: Dynamo,
  table: string,
  item: object,
  condition?: string | Condition,
): Promise<void> {
  const when = typeof condition === 'string' ? { expression: condition } : condition;
  await dynamo.send(
    new PutItemCommand({
      TableName: table,
      Item: toAttributes(item),
      ...(when === undefined ? {} : { ConditionExpression: when.expression }),
      ...(when?.names === undefined ? {} : { ExpressionAttributeNames: when.names }),
      ...(when?.values === undefined ? {} : { ExpressionAttributeValues: toAttributes(when.values) }),
    }),
  );
}

/** Delete the item with this key (nothing happens when there is none). */
export async function deleteItem(dynamo: Dynamo, table: string, key: Item): Promise<void> {
  await dynamo.send(new DeleteItemCommand({ TableName: table, Key: toAttributes(key) }));
}

/** Apply an update expression to one item. */
export async function updateItem(
  dynamo: Dynamo,
  table: string,
  key: Item,
  update: { expression: string; values: Item; names?: Record<string, string> },
): Promise<void> {
  await dynamo.send(
    new UpdateItemCommand({
      TableName: table,
      Key: toAttributes(key),
      UpdateExpression: update.expression,
      ExpressionAttributeValues: toAttributes(update.values),
      ...(update.names === undefined ? {} : { ExpressionAttributeNames: update.names }),
    }),
  );
}

/**
 * Every item a query (with `keyCondition`) or a scan (without) returns, following `LastEvaluatedKey` page by
 * page, as the caller's type of item.
 */
export async function readAll<T extends object = Item>(
  dynamo: Dynamo,
  request: {
    table: string;
    index?: string;
    keyCondition?: string;
    filter?: string;
    values?: Item;
    newestFirst?: boolean;
  },
): Promise<T[]> {
  const common = {
    TableName: request.table,
    ...(request.index === undefined ? {} : { IndexName: request.index }),
    ...(request.filter === undefined ? {} : { FilterExpression: request.filter }),
    ...(request.values === undefined ? {} : { ExpressionAttributeValues: toAttributes(request.values) }),
  };
  const items: T[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  const pageOf = (exclusiveStartKey: Record<string, AttributeValue> | undefined) => {
    const paging = exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey };
    return request.keyCondition === undefined
      ? dynamo.send(new ScanCommand({ ...common, ...paging }))
      : dynamo.send(
          new QueryCommand({
            ...common,
            ...paging,
            KeyConditionExpression: request.keyCondition,
            ...(request.newestFirst ? { ScanIndexForward: false } : {}),
          }),
        );
  };
  do {
    const page = await pageOf(startKey);
    for (const item of page.Items ?? []) items.push(unmarshall(item) as T);
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}
