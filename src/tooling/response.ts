/**
 * Handlers append what the model should read; one renderer turns it into the compact markdown
 * every tool answers with (`### Result`, optional `### Notes`), and big data travels as links.
 */
export interface ResourceLink {
  uri: string;
  name: string;
  mimeType?: string;
  description?: string;
}

export class ToolResponse {
  private readonly body: string[] = [];
  private readonly notes: string[] = [];
  readonly links: ResourceLink[] = [];

  line(...texts: string[]): this {
    this.body.push(...texts);
    return this;
  }

  table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): this {
    this.body.push(
      `| ${headers.join(' | ')} |`,
      `|${headers.map(() => '---').join('|')}|`,
      ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
    );
    return this;
  }

  code(text: string, language = ''): this {
    // A fence longer than any backtick run inside keeps the block intact whatever the value holds.
    const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    const fence = '`'.repeat(longest + 1);
    this.body.push(`${fence}${language}`, text, fence);
    return this;
  }

  note(text: string): this {
    this.notes.push(text);
    return this;
  }

  link(link: ResourceLink): this {
    this.links.push(link);
    return this;
  }

  render(): string {
    const parts = ['### Result', ...this.body];
    if (this.notes.length > 0) parts.push('', '### Notes', ...this.notes.map((note) => `- ${note}`));
    return parts.join('\n');
  }
}

export function renderError(message: string, hint?: string): string {
  return ['### Error', message, ...(hint ? ['', `Hint: ${hint}`] : [])].join('\n');
}

function cell(value: string | number | null): string {
  if (value === null) return '-';
  return String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in user data. */
export function inline(text: string): string {
  const clean = text.replace(/\r?\n/g, ' ');
  return clean.includes('`') ? `\`\` ${clean} \`\`` : `\`${clean}\``;
}
