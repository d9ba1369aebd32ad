// Cadenas: a small, safe Markdown subset for the statements and options the server sends:
// paragraphs, "- " lists, **bold**, *italic* / _italic_, `code`; links and images become plain text.
// Nodes are built with createElement/textContent only: server text is never parsed as HTML.
"use strict";

function renderMarkdown(text) {
  const nodes = [];
  for (const block of String(text).replace(/\r\n?/g, "\n").split(/\n\s*\n/)) {
    const lines = block.split("\n").filter((line) => line.trim());
    if (!lines.length) continue;
    if (lines.every((line) => /^\s*[-*]\s+/.test(line))) {
      const list = document.createElement("ul");
      for (const line of lines) {
        const item = document.createElement("li");
        item.append(...renderInline(line.replace(/^\s*[-*]\s+/, "")));
        list.append(item);
      }
      nodes.push(list);
      continue;
    }
    const paragraph = document.createElement("p");
    lines.forEach((line, index) => {
      if (index) paragraph.append(document.createElement("br"));
      paragraph.append(...renderInline(line.replace(/^\s*#+\s+/, "")));
    });
    nodes.push(paragraph);
  }
  return nodes;
}

// **bold** | `code` | *italic* | _italic_ (not inside words) | [link](url) or ![image](url)
const INLINE_PATTERN = new RegExp(
  [
    /\*\*(.+?)\*\*/.source,
    /`([^`]+)`/.source,
    /\*([^*\s](?:[^*]*[^*\s])?)\*/.source,
    /(?<!\w)_([^_\s](?:[^_]*[^_\s])?)_(?!\w)/.source,
    /(!?)\[([^\]]*)\]\(([^)\s]*)\)/.source,
  ].join("|"),
  "g",
);

// Inline Markdown as text nodes and <strong>/<em>/<code>; links become plain text "label (url)".
function renderInline(text) {
  const source = String(text);
  const nodes = [];
  let last = 0;
  for (const match of source.matchAll(INLINE_PATTERN)) {
    if (match.index > last) nodes.push(document.createTextNode(source.slice(last, match.index)));
    const [, bold, code, star, underscore, bang, label, url] = match;
    if (bold !== undefined) nodes.push(inlineNode("strong", bold));
    else if (code !== undefined) nodes.push(inlineNode("code", code, false));
    else if (star !== undefined || underscore !== undefined) nodes.push(inlineNode("em", star ?? underscore));
    else if (bang) nodes.push(document.createTextNode(label));
    else nodes.push(document.createTextNode(label && label !== url ? `${label} (${url})` : url || label));
    last = match.index + match[0].length;
  }
  if (last < source.length) nodes.push(document.createTextNode(source.slice(last)));
  return nodes;
}

function inlineNode(tag, text, inline = true) {
  const node = document.createElement(tag);
  if (inline) node.append(...renderInline(text));
  else node.textContent = text;
  return node;
}
