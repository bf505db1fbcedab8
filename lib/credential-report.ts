/**
 * The IAM credential report: one CSV row per user (and one for the root user), with the state of each user's
 * two access keys. Pure parsing; fetching it is in lib/sweep.ts.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
 */

/** The user name IAM gives the root user's row. */
export const ROOT_ACCOUNT = '<root_account>';

/** The columns the sweep reads; a report without one of them cannot be trusted. */
export const REQUIRED_COLUMNS = [
  'user',
  'arn',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_2_active',
  'access_key_2_last_rotated',
] as const;

/** One of a user's two access-key slots, as the report shows it. */
export interface ReportKey {
  readonly slot: 1 | 2;
  readonly active: boolean;
  /** When the key was created (or rotated); undefined when the slot is empty (`N/A`). */
  readonly lastRotated: Date | undefined;
}

export interface ReportRow {
  /** The user name, or `<root_account>`. */
  readonly user: string;
  readonly arn: string;
  readonly keys: readonly ReportKey[];
}

export interface CredentialReport {
  readonly rows: readonly ReportRow[];
  /** Data lines that could not be read as a user row (line numbers, 1-based, header = 1). */
  readonly badLines: readonly number[];
  /** Required columns the header lacks; non-empty means the report is unusable. */
  readonly missingColumns: readonly string[];
}

/**
 * Split CSV text into records, RFC 4180: fields separated by commas, records by CRLF or LF, fields optionally
 * quoted with `"` (a quote inside doubled), quoted fields may hold commas and line breaks. Each record keeps
 * the line number it starts on. A trailing line break does not make an empty record.
 */
export function parseCsv(text: string): { readonly line: number; readonly fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endField = (): void => {
    fields.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = (): void => {
    endField();
    records.push({ line: recordLine, fields });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line++;
        field += char;
      }
      continue;
    }
    if (char === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (char === ',') {
      endField();
    } else if (char === '\n' || (char === '\r' && text[i + 1] === '\n')) {
      if (char === '\r') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += char;
      fieldStarted = true;
    }
  }
  // A field with any character in it has started, so this also keeps a last record without a final line break.
  if (fields.length > 0 || fieldStarted) endRecord();
  return records;
}

/** `N/A`, `not_supported`, `no_information` and empty mean "no value" in the report. */
function dateOf(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/**
 * IAM does not quote report fields, and user names and paths may contain commas (`[\w+=,.@-]`): such a row has
 * more fields than the header, all the extra ones in `user` and `arn`. Every column after `arn` is a date, a
 * boolean, `N/A`, a region or a service name, none with a comma, so the tail is read from the right, and the
 * head is split where the ARN (`arn:...:user/<path><name>`) ends with the user name before it.
 */
function recoverUserAndArn(fields: readonly string[], width: number): string[] | undefined {
  const extra = fields.length - width;
  const head = fields.slice(0, extra + 2);
  const tail = fields.slice(extra + 2);
  // Stryker disable next-line EqualityOperator: at split === head.length the ARN would be empty, which never starts with arn:
  for (let split = 1; split < head.length; split++) {
    const user = head.slice(0, split).join(',');
    const arn = head.slice(split).join(',');
    if (arn.startsWith('arn:') && arn.endsWith(`/${user}`)) return [user, arn, ...tail];
  }
  return undefined;
}

/**
 * Read a credential report. Rows that cannot be read (wrong number of fields, no user) are listed in
 * `badLines`, never silently dropped: the sweep checks the users they may hide another way. Columns are found
 * by name, so IAM adding or moving columns changes nothing.
 */
export function parseCredentialReport(text: string): CredentialReport {
  const [header, ...records] = parseCsv(text.replace(/^\uFEFF/, ''));
  // Stryker disable next-line ArrayDeclaration: without a header any columns but the required ones make the report unusable all the same
  const columns = header?.fields ?? [];
  const missingColumns = REQUIRED_COLUMNS.filter((name) => !columns.includes(name));
  if (missingColumns.length > 0) return { rows: [], badLines: [], missingColumns };
  const index = (name: (typeof REQUIRED_COLUMNS)[number]): number => columns.indexOf(name);
  const rows: ReportRow[] = [];
  const badLines: number[] = [];
  for (const record of records) {
    if (record.fields.length === 1 && record.fields[0] === '') continue;
    const fields =
      record.fields.length > columns.length && index('user') === 0 && index('arn') === 1
        ? recoverUserAndArn(record.fields, columns.length)
        : record.fields.length === columns.length
          ? record.fields
          : undefined;
    if (fields === undefined) {
      badLines.push(record.line);
      continue;
    }
    // Stryker disable next-line StringLiteral: a row read has every column; `??` is for the type checker
    const cell = (name: (typeof REQUIRED_COLUMNS)[number]): string => fields[index(name)] ?? '';
    const user = cell('user');
    const arn = cell('arn');
    if (!user || !arn) {
      badLines.push(record.line);
      continue;
    }
    const keys = ([1, 2] as const).map((slot) => ({
      slot,
      active: cell(`access_key_${slot}_active`).toLowerCase() === 'true',
      lastRotated: dateOf(cell(`access_key_${slot}_last_rotated`)),
    }));
    rows.push({ user, arn, keys });
  }
  return { rows, badLines, missingColumns: [] };
}
