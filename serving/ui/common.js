/* What the analyst's pages share: number formats, calls to the API, tables and chart helpers.
 *
 * tests/helpers/browser.py formats the API's answers the way these formats do, to compare the
 * pages' figures with the answers.
 */
"use strict";

window.BO = (() => {
  const $ = (id) => document.getElementById(id);

  const fixed = (digits) =>
    new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const F1 = fixed(1);
  const F2 = fixed(2);
  const F3 = fixed(3);
  /** US dollars in millions ("$421.7M"; "$34.2K" under $100,000), in billions from $10B on
   * ("$12.3B": a card holds it). */
  const usd = (value) => {
    if (value === 0) return "$0";
    const sign = value < 0 ? "−" : "";
    const n = Math.abs(value);
    if (n >= 1e10) return sign + "$" + F1.format(n / 1e9) + "B";
    // Under $100,000 in thousands ("−$34.2K", not "−$0.034M"), under $1,000 in dollars.
    if (n < 1e3) return sign + "$" + Math.round(n);
    if (n < 1e5) return sign + "$" + F1.format(n / 1e3) + "K";
    return sign + "$" + F1.format(n / 1e6) + "M";
  };
  /** A probability as a percentage; one just under 50% that would round to "50.0%" reads
   * "<50.0%", so that it never reads as the line its verdict falls short of. */
  const percent = (p) => {
    const text = F1.format(p * 100);
    return p < 0.5 && text === F1.format(50) ? "<" + text + "%" : text + "%";
  };
  const times = (ratio) => "×" + F2.format(ratio);
  /** A change of probability in percentage points: "+4.2 pts", "−0.8 pts". */
  const points = (delta) => (delta >= 0 ? "+" : "−") + F1.format(Math.abs(delta) * 100) + " pts";
  const millions = (value) => value / 1e6;

  const COLORS = {
    accent: "#1f5fbf",
    band: "rgba(31, 95, 191, 0.16)",
    bar: "rgba(31, 95, 191, 0.28)",
    barBase: "rgba(31, 95, 191, 0.55)",
    hit: "#d97706",
    line: "#6b7280",
    even: "#7c3aed",
    positive: "#1b7f4b",
    negative: "#b42318",
    other: "#9aa3b2",
  };

  const cleanMessage = (msg) => String(msg).replace(/^Value error, /, "");

  /** POST a JSON body; never throws: {ok, status, body} or {status: 0, error}. */
  async function post(url, body) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      let parsed = null;
      try {
        parsed = await response.json();
      } catch (_) {
        parsed = null;
      }
      return { ok: response.ok, status: response.status, body: parsed };
    } catch (error) {
      return { ok: false, status: 0, body: null, error: String(error) };
    }
  }

  function describeFailure(answer) {
    if (answer.status === 0) return "the service could not be reached (" + answer.error + ")";
    const body = answer.body;
    let text = body && body.error ? body.error : Array.isArray(body) && body[0] && body[0].error ? body[0].error : "";
    if (body && Array.isArray(body.detail)) text += ": " + body.detail.map((e) => cleanMessage(e.msg)).join("; ");
    return `HTTP ${answer.status}${text ? " " + text : ""}`;
  }

  /** A table from headers and rows; a cell is text or {text, className}; ``narrow`` lists the
   * columns hidden on a phone's width (class "wide-only"). */
  function table(id, headers, rows, { base = -1, narrow = [] } = {}) {
    const hide = (cell, i) => narrow.includes(i) && cell.classList.add("wide-only");
    const head = document.createElement("tr");
    headers.forEach((text, i) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      hide(th, i);
      head.append(th);
    });
    const thead = document.createElement("thead");
    thead.append(head);
    const tbody = document.createElement("tbody");
    rows.forEach((cells, r) => {
      const tr = document.createElement("tr");
      if (r === base) tr.className = "base";
      cells.forEach((cell, i) => {
        const td = document.createElement("td");
        if (cell && typeof cell === "object") {
          td.textContent = cell.text;
          if (cell.className) td.className = cell.className;
          if (cell.title) td.title = cell.title;
        } else {
          td.textContent = cell;
        }
        hide(td, i);
        tr.append(td);
      });
      tbody.append(tr);
    });
    $(id).replaceChildren(thead, tbody);
  }

  const charts = {};
  function dropChart(id) {
    if (charts[id]) charts[id].destroy();
    delete charts[id];
  }
  function chart(id, config) {
    dropChart(id);
    charts[id] = new Chart($(id), config);
    return charts[id];
  }

  /** How a page says its figures are out of date: ``mark()`` counts an edit of its inputs and,
   * when figures are shown (#results "done"), dims them ("stale") and says ``message`` in
   * #status; ``edits`` tells a forecast whether its inputs changed while it was asked. */
  function staleness(message) {
    let edits = 0;
    return {
      get edits() {
        return edits;
      },
      mark() {
        edits++;
        const results = $("results");
        if (results.dataset.state !== "done") return;
        results.dataset.state = "stale";
        $("status").textContent = message;
      },
    };
  }

  /** Is the page as narrow as a phone? Charts then keep fewer labels. */
  const narrow = () => window.matchMedia("(max-width: 640px)").matches;

  /** An axis tick in US$ millions: "$500M", "$1.5B", "−$200M". */
  const moneyTick = (value) => {
    const n = Number(value);
    const sign = n < 0 ? "−" : "";
    if (n === 0) return "$0";
    if (Math.abs(n) >= 1000) return sign + "$" + F1.format(Math.abs(n) / 1000).replace(/\.0$/, "") + "B";
    return sign + "$" + Math.abs(n).toLocaleString("en-US") + "M";
  };
  /** Ticks of a log axis at 1, 2 and 5 × a power of ten only (1 and 5 on a phone: a chart of a
   * quarter to four times a budget spans little more than a decade). */
  const logTick = (value) => {
    const digits = Number(value).toPrecision(1);
    if (Number(digits) !== Number(value)) return "";
    return (narrow() ? /^[15]/ : /^[125]/).test(digits) ? moneyTick(value) : "";
  };

  /** A log axis's ticks (Chart.js afterBuildTicks): those ``logTick`` labels, and when fewer than
   * two of them fall on the axis (a forecast spanning $120M to $180M), every 1, 2 and 5, then
   * every whole multiple of a power of ten, so that the axis never has one label or none
   * (Chart.js's autoSkip, on all nine multiples of each decade, kept "$100M" alone on an axis
   * of $120M to $821M). Label them with ``moneyTick``. */
  const logTicks = (scale) => {
    const all = [];
    const [low, high] = [scale.min * (1 - 1e-9), scale.max * (1 + 1e-9)];
    for (let power = Math.floor(Math.log10(scale.min)); power <= Math.ceil(Math.log10(scale.max)); power++) {
      for (let m = 1; m <= 9; m++) {
        const value = Number((m * 10 ** power).toPrecision(6));
        if (value >= low && value <= high) all.push(value);
      }
    }
    let kept = all.filter((value) => logTick(value) !== "");
    if (kept.length < 2) kept = all.filter((value) => /^[125]/.test(value.toPrecision(1)));
    if (kept.length < 2) kept = all;
    scale.ticks = kept.map((value) => ({ value }));
  };

  /** A label in lines of at most ``size`` characters, broken at spaces (Chart.js draws an
   * array as lines); a word longer than a line is cut. */
  function wrap(text, size) {
    const lines = [];
    for (const word of text.split(" ")) {
      const last = lines.length - 1;
      if (last >= 0 && lines[last].length + 1 + word.length <= size) lines[last] += " " + word;
      else lines.push(word.length > size ? word.slice(0, size - 1) + "…" : word);
    }
    return lines.length === 1 ? lines[0] : lines;
  }

  function hitAxis() {
    return {
      position: "right",
      min: 0,
      max: 1,
      grid: { drawOnChartArea: false },
      title: { display: !narrow(), text: "P(hit)" },
      ticks: { callback: (v) => Math.round(v * 100) + "%", maxTicksLimit: 6 },
    };
  }

  /** Download rows as a CSV file (RFC 4180 quoting). */
  function download(name, headers, rows) {
    const quote = (value) => {
      const text = value === null || value === undefined ? "" : String(value);
      return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    };
    const text = [headers, ...rows].map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
  }

  /** Where the sweep's verdict changes more than once, the P(hit) it wavers within: the trees'
   * steps move a forecast near the hit line back and forth across it, which says no limit. */
  function verdictFlips(points, budgets) {
    // Each point whose verdict differs from the one before it.
    const changes = points.map((p, i) => i).filter((i) => i > 0 && points[i].is_hit !== points[i - 1].is_hit);
    const flips = changes.length;
    if (flips < 2) return "";
    const first = changes[0] - 1;
    const last = changes[flips - 1];
    const wavering = points.slice(first, last + 1).map((p) => p.probability);
    return (
      `From ${usd(budgets[first])} to ${usd(budgets[last])} the verdict changes ${flips} times, P(hit) staying within ` +
      `${percent(Math.min(...wavering))} to ${percent(Math.max(...wavering))}: a coin toss there, not a budget limit. `
    );
  }

  /** What a studio share typed in percent is told when out of range (both pages' words). */
  function shareProblem(value, lowest) {
    // 0.45 meant as 45%: the share is a fraction in the API and the CSV, a percentage here.
    const fraction = value > 0 && value < 1 ? ` (${value} would be ${value}%; 45% is 45)` : "";
    return `Enter a percentage from ${lowest * 100} to 100${fraction}.`;
  }

  async function settings() {
    const response = await fetch("settings.json");
    return response.json();
  }

  // Chromium keeps only the digits of text pasted into a number field ("15,5" becomes 155,
  // "1:45" 145), in silence: a paste that is not a plain number is refused, and said.
  const PLAIN_NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;
  function guardPaste(input, show) {
    input.addEventListener("paste", (event) => {
      const text = (event.clipboardData && event.clipboardData.getData("text")) || "";
      if (PLAIN_NUMBER.test(text)) return;
      event.preventDefault();
      show(
        `'${text.trim().slice(0, 30)}' is not a plain number, so it was not pasted: write digits, with a point for decimals and no separators (15.5, not 15,5).`
      );
    });
  }

  function ready() {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#5b6476";
    document.body.dataset.ready = "true";
    performance.mark("ui-ready");
  }

  return {
    $, F1, F2, F3, usd, percent, times, points, millions, COLORS, cleanMessage, post, describeFailure,
    table, chart, dropChart, narrow, moneyTick, logTick, logTicks, wrap, hitAxis, download, settings, ready, staleness, verdictFlips,
    shareProblem, guardPaste,
  };
})();
