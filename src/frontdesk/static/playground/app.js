// The playground talks to the public REST API; everything is rendered with textContent.
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const response = await fetch(path, {
    headers: { "Content-Type": "application/json" },
    ...options,
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message || response.statusText);
  return body;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

async function loadAgents() {
  const agents = await api("/api/v1/agents");
  $("agent").replaceChildren(...agents.map((a) => {
    const option = el("option", a.name);
    option.value = a.id;
    return option;
  }));
  if (agents.length) await loadSources(agents[0].id);
}

async function loadSources(agentId) {
  const sources = await api(`/api/v1/agents/${encodeURIComponent(agentId)}/sources`);
  $("sources").replaceChildren(...sources.map((s) => {
    const detail = s.status === "failed" ? `failed: ${s.error}` : `${s.status}, ${s.chunk_count} chunks`;
    return el("li", `${s.title} — ${detail}`);
  }));
}

function renderTurn(question, result) {
  const turn = el("article", undefined, "turn");
  turn.append(el("div", question, "question"));
  turn.append(el("div", result.answer, "answer"));
  const meta = el("div", `confidence ${result.confidence.toFixed(2)}`, "meta");
  if (result.handoff.triggered) meta.append(el("span", ` · handoff: ${result.handoff.reason}`, "handoff"));
  turn.append(meta);
  if (result.citations.length) {
    const list = el("ol", undefined, "citations");
    for (const c of result.citations) {
      const item = el("li");
      const label = `${c.source}${c.location ? ` (${c.location})` : ""}`;
      if (c.url && /^https?:/.test(c.url)) {
        const link = el("a", label);
        link.href = c.url;
        link.rel = "noopener noreferrer";
        item.append(link);
      } else {
        item.append(el("strong", label));
      }
      item.append(el("div", c.snippet, "meta"));
      list.append(item);
    }
    turn.append(list);
  }
  $("log").prepend(turn);
}

$("agent").addEventListener("change", (e) => loadSources(e.target.value));
$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  try {
    const result = await api(`/api/v1/agents/${encodeURIComponent($("agent").value)}/ask`, {
      method: "POST",
      body: JSON.stringify({ question }),
    });
    renderTurn(question, result);
    $("question").value = "";
  } catch (error) {
    $("log").prepend(el("p", `Error: ${error.message}`, "handoff"));
  }
});

loadAgents().catch((error) => $("log").prepend(el("p", `Error: ${error.message}`, "handoff")));
