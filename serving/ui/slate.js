/* The slate view: a CSV of films (pasted or uploaded), the analyst's assumptions, one call to
 * /predict_slate, and the slate's figures.
 *
 * Cells are read by each field's kind (settings.json, from the API's schema), as the client's
 * `score` reads them: numbers, whole numbers, lists (JSON, TMDB's objects or a|b|c), text. A row
 * the page cannot read, or that the API refuses (its 400 names `films[i].field`), is named
 * beside it; the other films are forecast.
 */
"use strict";

(() => {
  const { $, usd, percent, post, describeFailure, table, narrow, COLORS } = BO;
  const API = "../predict_slate";
  const ROW_ID = "id"; // serving/cells.py ROW_ID
  // The download's columns, as the client's `slate --out` writes them (serving/client.py slate_rows);
  // booleans as pandas writes them (True, False).
  const TABLE_COLUMNS = [
    "row", "title", "error", "release_date", "budget_usd", "marketing_usd", "studio_share", "dollars_year",
    "revenue_usd", "revenue_p10_usd", "revenue_p90_usd", "hit_probability", "is_hit", "hit_threshold",
    "profit_usd", "profit_p10_usd", "profit_p90_usd", "p_profit", "break_even_revenue_usd", "model", "warnings",
  ];
  let settings = null;
  let lastRows = null;
  const staleness = BO.staleness("The films or the assumptions changed: press Forecast the slate to update the figures.");
  // Figures out of date are not downloaded as if they were the table's: the download waits
  // for the next forecast.
  const stale = {
    get edits() {
      return staleness.edits;
    },
    mark() {
      staleness.mark();
      if ($("results").dataset.state === "stale") $("download").disabled = true;
    },
  };

  const signedUsd = (value) => (value >= 0 ? "+" : "") + usd(value);
  const setStatus = (text) => ($("status").textContent = text);

  function setFigure(id, text, value) {
    const element = $(id);
    element.textContent = text;
    if (value !== undefined) element.dataset.value = String(value);
  }

  // -- reading the CSV ------------------------------------------------------------------------
  // An amount in US$ as people write it ($150,000,000, 150M): serving/cells.py amount().
  const AMOUNT = /^([+-]?)\s*(?:US)?\$?\s*(\d{1,3}(?:(?:,\d{3})+|(?:_\d{3})+)(?:\.\d*)?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKmMbB]?)$/;
  // A number as serving/cells.py number() reads it: 130, -3, .5, 1e7.
  const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  const SUFFIXES = { "": 1, k: 1e3, m: 1e6, b: 1e9 };
  function amount(field, text) {
    const found = AMOUNT.exec(text.trim());
    const number = found ? Number(found[1] + found[2].replace(/[,_]/g, "")) : NaN;
    if (!Number.isFinite(number)) throw new Error(`${field}: '${text.slice(0, 50)}' is not an amount (${settings.amount_examples})`);
    return number * SUFFIXES[found[3].toLowerCase()];
  }

  /** One cell as the API field takes it (a text that is not empty), or an Error naming it. */
  function cell(field, text) {
    const kind = settings.fields[field];
    if (settings.amounts.includes(field)) return amount(field, text);
    if (kind === "number" || kind === "whole") {
      // A share written as a percentage ("45%"), as serving/cells.py reads it.
      const percent = settings.shares.includes(field) && text.endsWith("%");
      const digits = percent ? text.slice(0, -1).trim() : text;
      const number = NUMBER.test(digits) ? Number(digits) / (percent ? 100 : 1) : NaN;
      if (!Number.isFinite(number)) throw new Error(`${field}: '${text.slice(0, 50)}' is not a number`);
      if (kind === "whole" && !Number.isInteger(number)) throw new Error(`${field}: '${text.slice(0, 50)}' is not a whole number`);
      return number;
    }
    if (kind === "list") {
      if (!text.startsWith("[")) return text.split("|").map((s) => s.trim()).filter(Boolean);
      let items;
      try {
        items = JSON.parse(text);
      } catch (error) {
        if (new RegExp(settings.python_list.pattern).test(text)) throw new Error(`${field}: a Python literal, not JSON (${settings.python_list.hint})`);
        throw new Error(`${field}: not a JSON list of names or TMDB objects (${error.message})`);
      }
      const key = settings.tmdb_keys[field] || "name";
      if (!Array.isArray(items)) throw new Error(`${field}: not a JSON list of names or TMDB objects`);
      const names = items.map((item) => {
        const name = item && typeof item === "object" ? item[key] : item;
        if (typeof name !== "string") throw new Error(`${field}: every item must be a name (text)`);
        return name.trim();
      });
      return names.filter(Boolean); // as serving/cells.py table_names: a blank name left out
    }
    if (kind === "bool") {
      const value = { true: true, 1: true, false: false, 0: false }[text.toLowerCase()];
      if (value === undefined) throw new Error(`${field}: '${text.slice(0, 50)}' is not true or false`);
      return value;
    }
    return text;
  }

  /** Whether a becomes b by one letter left out, added, changed, or two adjacent swapped. */
  function oneEdit(a, b) {
    if (Math.abs(a.length - b.length) > 1 || a === b) return false;
    let start = 0;
    while (start < Math.min(a.length, b.length) && a[start] === b[start]) start += 1;
    a = a.slice(start);
    b = b.slice(start);
    if (a.length === b.length) return a.slice(1) === b.slice(1) || (a.length >= 2 && a[0] === b[1] && a[1] === b[0] && a.slice(2) === b.slice(2));
    return a.length > b.length ? a.slice(1) === b : a === b.slice(1);
  }

  /** The film field a column name misspells by one letter, as serving/cells.near_field says. */
  function nearField(name) {
    if (!name || name in settings.fields) return null;
    return Object.keys(settings.fields).find((field) => oneEdit(name, field)) || null;
  }

  /** Why a cell is refused as typed in the wrong unit, or null: as the client says it
   * (boxoffice/messages.py unit_slip, the same words) and the one-film page refuses it. */
  function unitSlip(name, text, value) {
    if (settings.amounts.includes(name) && value > 0 && value < settings.min_plausible_usd) {
      const floor = settings.min_plausible_usd.toLocaleString("en-US");
      const usd = Math.round(value).toLocaleString("en-US");
      return `${name}: ${text} is $${usd}, under $${floor}, which no film the models learned from cost (amounts are in US$: 20M is $20 million)`;
    }
    if (name === "budget" && value >= settings.max_plausible_budget_usd) {
      return `budget: ${text} is $${BO.F1.format(value / 1e9)} billion, more than any film has cost (amounts are in US$: 90M is $90 million)`;
    }
    if (name === "runtime" && value > 0 && value < settings.min_plausible_runtime) {
      return `runtime: ${text} minutes? The runtime is in minutes (108 for 1 h 48 min)`;
    }
    if (name === "runtime" && value >= settings.max_plausible_runtime) {
      return `runtime: ${text} minutes is ${BO.F1.format(value / 60)} hours, longer than any film in cinemas: the runtime is in minutes (135 for 2 h 15 min, not 8100 seconds)`;
    }
    return null;
  }

  /** What the films are told when their budgets' median is under settings.scored_median_usd (a
   * table in thousands of dollars), else null: serving/cells.py budgets_in_thousands's words. */
  function budgetsInThousands(films) {
    const known = films.map((f) => f.budget).filter((b) => typeof b === "number" && b > 0).sort((a, b) => a - b);
    if (known.length < settings.min_median_films) return null;
    const middle = Math.floor(known.length / 2);
    const median = known.length % 2 ? known[middle] : (known[middle - 1] + known[middle]) / 2;
    if (median >= settings.scored_median_usd) return null;
    const dollars = (v) => Math.round(v).toLocaleString("en-US");
    return `the table's ${known.length.toLocaleString("en-US")} budgets have a median of $${dollars(median)}, under $${dollars(settings.scored_median_usd)}, which 3% of the films the models learned from cost: if the table is in thousands of dollars, write its amounts in US$ (150M or 150000000)`;
  }

  /** The CSV's rows as films: {rows: [{film, title, error}], ignored: [column names]}. */
  function readCsv(text) {
    if (!text.trim()) throw new Error("no films: paste the slate's CSV, or choose a file, or press Example slate");
    const parsed = Papa.parse(text.trim(), { skipEmptyLines: "greedy" });
    if (parsed.errors.length && !parsed.data.length) throw new Error(`not a readable CSV (${parsed.errors[0].message})`);
    const [header, ...body] = parsed.data;
    if (!header || !body.length) throw new Error("no films: give a header row and at least one film");
    // As boxoffice/csvtext.column_name reads a header: "Release Date" is release_date.
    const names = header.map((name) => String(name).trim().toLowerCase().replace(/[\s-]+/g, "_"));
    const repeated = names.filter((name, i) => name && names.indexOf(name) !== i);
    if (repeated.length) throw new Error(`column(s) ${[...new Set(repeated)].join(", ")} appear more than once`);
    const misspelled = names.map((name) => [name, nearField(name)]).filter(([, near]) => near);
    if (misspelled.length) {
      const said = misspelled.map(([name, near]) => `'${name}' is not a film field: did you mean '${near}'?`).join("; ");
      throw new Error(`${said} (read as written, the films would be forecast without it)`);
    }
    // A row longer than the header (an amount's commas unquoted: $40,000,000) shifts its cells:
    // refused whole, as the client and /predict_table refuse it (boxoffice/csvtext.py).
    const ragged = body.findIndex((cells) => cells.slice(names.length).some((c) => String(c).trim()));
    if (ragged >= 0) {
      throw new Error(
        `line ${ragged + 2} has more fields than the header's ${names.length} (a value past the last column): ${settings.ragged_hint}`
      );
    }
    const fields = names.filter((name) => name in settings.fields);
    if (!fields.length) throw new Error(`none of the columns ${names.slice(0, 8).join(", ")} is a film field (e.g. budget, runtime, genres)`);
    const rows = body.map((cells) => {
      // More fields than the header, the extra ones empty: read, but said beside its problems
      // (an amount's commas unquoted shift its cells), as the client and /predict_table say it.
      const row = { film: {}, title: "", error: "", raw: {}, id: null, longer: cells.length > names.length };
      const problems = [];
      names.forEach((name, i) => {
        const text = String(cells[i] ?? "").trim();
        if (name === "title") row.title = text;
        if (name === ROW_ID) row.id = text; // the rows' own key: written back in the download
        if (!(name in settings.fields) || !text) return;
        row.raw[name] = text; // as written: the download keeps a refused row's cells
        try {
          const value = cell(name, text);
          const slip = unitSlip(name, text, value);
          if (slip) throw new Error(slip);
          // The CSV's share is a fraction, the form's a percentage: 45 is not 45%.
          if (name === "studio_share" && value > 1 && value <= 100) {
            throw new Error(`studio_share: ${text} is a fraction of the box office from 0 to 1 in the CSV (${text}% is ${value / 100}; or write ${text}%)`);
          }
          if (!(name === "budget" && value === 0)) row.film[name] = value; // 0: unknown in TMDB
        } catch (error) {
          problems.push(error.message);
        }
      });
      row.error = problems.join("; "); // every problem of the row at once, as /predict_table says them
      return row;
    });
    return { rows, ignored: names.filter((name) => name && name !== ROW_ID && !(name in settings.fields)) };
  }

  // -- the assumptions ------------------------------------------------------------------------
  /** How a field is typed on the page: in percent (0.01) or in US$ millions (1e6). */
  function scaleOf(name) {
    return settings.form.find((f) => f.name === name).scale;
  }

  /** The inputs' bounds and placeholders, from the service's settings. */
  function showAssumptions() {
    $("studio_share").min = String(settings.min_studio_share / scaleOf("studio_share"));
    $("studio_share").placeholder = String(settings.defaults.studio_share / scaleOf("studio_share"));
    $("marketing_usd").placeholder = String(settings.defaults.marketing_usd / scaleOf("marketing_usd"));
  }

  function readAssumptions() {
    const body = {};
    const problems = [];
    for (const [name, check] of [
      ["studio_share", (v) => v >= settings.min_studio_share * 100 && v <= 100],
      ["marketing_usd", (v) => v >= 0 && v < settings.millions_ceiling],
    ]) {
      const scale = scaleOf(name);
      const input = $(name);
      if (input.value.trim() === "") continue;
      const value = Number(input.value);
      if (input.validity.badInput || !Number.isFinite(value) || !check(value)) {
        const share = BO.shareProblem(value, settings.min_studio_share);
        problems.push([name, name === "studio_share" ? share : "Enter US$ millions, at least 0 (20 means $20M)."]);
      } else {
        body[name] = Number((value * scale).toPrecision(12));
      }
    }
    return { body, problems };
  }

  function clearErrors() {
    for (const element of document.querySelectorAll(".field-error, #form-error, #general-error")) {
      element.hidden = true;
      element.textContent = "";
    }
    for (const element of document.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  }

  function fieldError(field, msg) {
    const box = $(field + "-error");
    box.textContent = msg;
    box.hidden = false;
    $(field).setAttribute("aria-invalid", "true");
  }

  // -- the call -------------------------------------------------------------------------------
  /** Ask for the slate of the rows without an error; a film the API refuses gets its message
   * and the rest are asked again. */
  async function ask(rows, assumptions) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const sent = rows.filter((row) => !row.error);
      if (!sent.length) return { answer: null, sent };
      const answer = await post(API, { films: sent.map((row) => row.film), ...assumptions });
      if (answer.ok || answer.status !== 400 || !Array.isArray(answer.body && answer.body.detail)) return { answer, sent };
      let named = false;
      for (const error of answer.body.detail) {
        const loc = error.loc || [];
        const msg = BO.cleanMessage(error.msg);
        if (loc[0] === "films" && typeof loc[1] === "number" && sent[loc[1]]) {
          const where = loc.slice(2).join(".");
          const said = where ? `${where}: ${msg}` : msg;
          const row = sent[loc[1]];
          row.error = row.error ? `${row.error}; ${said}` : said; // every problem the API names
          named = true;
        } else if (loc[0] === "studio_share" || loc[0] === "marketing_usd") {
          return { answer, sent };
        }
      }
      if (!named) return { answer, sent };
    }
    return { answer: null, sent: [] };
  }

  async function forecast() {
    clearErrors();
    const editsAsked = stale.edits;
    const results = $("results");
    const refuse = () => {
      setStatus("Fix the fields marked in red.");
      results.dataset.state = "invalid";
      $("answer").hidden = true;
      $("films-panel").hidden = true;
      $("placeholder").hidden = false;
    };
    let read;
    try {
      read = readCsv($("csv").value);
    } catch (error) {
      fieldError("csv", error.message);
      refuse();
      return;
    }
    const { body: assumptions, problems } = readAssumptions();
    for (const [field, msg] of problems) fieldError(field, msg);
    if (problems.length) {
      refuse();
      return;
    }
    const readable = read.rows.filter((row) => !row.error).length;
    if (readable > settings.max_slate) {
      fieldError("csv", `${readable} films: a slate holds at most ${settings.max_slate}.`);
      refuse();
      return;
    }
    results.dataset.state = "loading";
    results.setAttribute("aria-busy", "true");
    $("submit").disabled = true;
    setStatus("Forecasting the slate…");
    const started = performance.now();
    const { answer, sent } = await ask(read.rows, assumptions);
    for (const row of read.rows) {
      if (row.error && row.longer) row.error = `${row.error}; ${settings.longer_row_hint}`;
    }
    $("submit").disabled = false;
    results.removeAttribute("aria-busy");
    if (!answer || !answer.ok) {
      if (answer && answer.status === 400) {
        for (const error of answer.body.detail || []) {
          const field = (error.loc || [])[0];
          if (field === "studio_share" || field === "marketing_usd") fieldError(field, BO.cleanMessage(error.msg));
        }
      }
      const general = $("general-error");
      general.textContent = answer ? "The slate: " + describeFailure(answer) + "." : "No row of the CSV is a film the service can forecast.";
      general.hidden = false;
      $("answer").hidden = true;
      $("films-panel").hidden = true;
      results.dataset.state = !answer || answer.status === 400 ? "invalid" : "failed";
      if (!answer) {
        // No row could be sent: each is named with its reason.
        $("placeholder").hidden = true;
        renderRows(read.rows, null, []);
      }
      setStatus("The slate was not forecast.");
      return;
    }
    $("placeholder").hidden = true;
    $("answer").hidden = false;
    render(read, answer.body, sent);
    results.dataset.state = "done";
    setStatus(`Answered in ${Math.round(performance.now() - started)} ms.`);
    if (stale.edits !== editsAsked) stale.mark(); // edited while it was being forecast
  }

  // -- rendering ------------------------------------------------------------------------------
  function render(read, answer, sent) {
    const total = answer.total;
    const hits = answer.hits;
    setFigure("total-revenue", usd(total.revenue_usd), total.revenue_usd);
    setFigure("total-revenue-p10", usd(total.revenue_p10_usd), total.revenue_p10_usd);
    setFigure("total-revenue-p90", usd(total.revenue_p90_usd), total.revenue_p90_usd);
    const several = answer.films.length > 1; // one film's total is its own forecast
    $("total-budget").textContent =
      `Budgets ${usd(total.budget_usd)}, marketing ${usd(total.marketing_usd)}; each film in its release year's dollars.` +
      (several
        ? " The total's median is not the films' medians added up: each film's revenue is skewed (a few do far better than their median), so the total's is higher."
        : " One film: the totals are its own forecast, simulated (so they may differ slightly from its row).");
    setFigure("total-profit", signedUsd(total.profit_usd), total.profit_usd);
    setFigure("total-profit-p10", signedUsd(total.profit_p10_usd), total.profit_p10_usd);
    setFigure("total-profit-p90", signedUsd(total.profit_p90_usd), total.profit_p90_usd);
    setFigure("total-p-profit", percent(total.p_profit), total.p_profit);
    // Films that each likely lose money beside a slate that likely makes some: the same skew.
    const summed = answer.films.reduce((sum, film) => sum + film.profit_usd, 0);
    const side = signedUsd(total.profit_usd) === signedUsd(summed) ? "" : total.profit_usd > summed ? "higher" : "lower";
    $("total-profit-note").textContent =
      several && side
        ? `The films' median profits add up to ${signedUsd(summed)}; the total's median is ${side}, ` +
          "for the same reason: a few films do far better than their median, and the total gathers them."
        : "";
    $("total-profit-note").dataset.summed = String(summed);
    setFigure("hits-expected", BO.F1.format(hits.expected), hits.expected);
    setFigure("hits-p10", String(hits.p10), hits.p10);
    setFigure("hits-p90", String(hits.p90), hits.p90);
    const ratio = Object.values(answer.models)[0].hit_ratio;
    $("hits-note").textContent = `A hit: revenue above ${ratio}× the budget. The expected number is the films' P(hit) added up.`;
    const leftOut = read.rows.length - sent.length;
    setFigure("films-scored", `${sent.length} forecast`, sent.length);
    $("films-left-out").textContent = leftOut ? `${leftOut} left out: named in the table` : "none left out";
    $("films-note").textContent =
      `Studio share ${percent(answer.studio_share)}, marketing ${usd(answer.marketing_usd)} per film unless a film gives its own.` +
      (read.ignored.length ? ` Columns that are not film fields, ignored: ${read.ignored.join(", ")}.` : "");
    // As /predict_table and the client's slate say it (serving/cells.py budgets_in_thousands).
    const thousands = budgetsInThousands(sent.map((r) => r.film));
    $("slate-warning").textContent = thousands || "";
    $("slate-warning-panel").hidden = !thousands;
    $("model-line").textContent =
      "Answered by " + Object.entries(answer.models).map(([fs, m]) => `the ${fs.replace("_", "-")} model ${m.model_version}`).join(" and ") +
      `; ${answer.simulation.draws.toLocaleString("en-US")} simulations: ${answer.simulation.method}.`;
    renderHits(hits);
    renderProfit(total);
    renderRows(read.rows, answer, sent);
  }

  function renderHits(hits) {
    const counts = hits.at_least.map((_, k) => k);
    // The counts that matter: up to the last with a chance of at least 0.5%.
    let last = counts.length - 1;
    while (last > 1 && hits.at_least[last] < 0.005) last--;
    const shown = counts.slice(1, last + 1);
    BO.chart("hits-chart", {
      type: "bar",
      data: {
        labels: shown.map(String),
        datasets: [{ label: "P(at least k hits)", data: shown.map((k) => hits.at_least[k]), backgroundColor: COLORS.accent }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: (items) => `at least ${items[0].label} hits`, label: (item) => percent(item.raw) } } },
        scales: {
          x: { title: { display: true, text: "k hits" }, ticks: { autoSkip: true, maxRotation: 0 } },
          y: { min: 0, max: 1, ticks: { callback: (v) => Math.round(v * 100) + "%", maxTicksLimit: 6 } },
        },
      },
    });
    table("hits-table", ["At least", "Probability"], shown.map((k) => [`${k} hit${k === 1 ? "" : "s"}`, percent(hits.at_least[k])]));
  }

  function renderProfit(total) {
    const quantiles = total.profit_quantiles;
    BO.chart("profit-chart", {
      type: "line",
      data: {
        datasets: [
          {
            label: "P(total profit above x)",
            data: quantiles.map((q) => ({ x: q.usd / 1e6, y: 1 - q.level })),
            borderColor: COLORS.accent,
            backgroundColor: COLORS.band,
            fill: "origin",
            pointRadius: 2,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (items) => "above " + usd(items[0].parsed.x * 1e6), label: (item) => percent(item.parsed.y) } },
        },
        scales: {
          x: { type: "linear", title: { display: !narrow(), text: "Total profit, US$" }, ticks: { callback: (v) => BO.moneyTick(v), maxTicksLimit: narrow() ? 4 : 7, maxRotation: 0 } },
          y: { min: 0, max: 1, ticks: { callback: (v) => Math.round(v * 100) + "%", maxTicksLimit: 6 } },
        },
      },
    });
    table("profit-table", ["Total profit above", "Probability"], quantiles.map((q) => [signedUsd(q.usd), percent(1 - q.level)]));
  }

  function renderRows(rows, answer, sent) {
    const byRow = new Map();
    if (answer) sent.forEach((row, i) => byRow.set(row, answer.films[i]));
    lastRows = rows.map((row, i) => {
      const p = byRow.get(row);
      return {
        row: i + 1, id: row.id, title: row.title, error: row.error, release_date: row.film.release_date ?? row.raw.release_date ?? "", budget_usd: row.film.budget ?? (row.film.log_budget != null ? Math.expm1(row.film.log_budget) : row.raw.budget ?? ""),
        // a film's own assumptions, else the slate's
        marketing_usd: p ? row.film.marketing_usd ?? answer.marketing_usd : "",
        studio_share: p ? row.film.studio_share ?? answer.studio_share : "", dollars_year: p ? p.dollars_year : "",
        revenue_usd: p ? p.revenue_usd : "", revenue_p10_usd: p ? p.revenue_p10_usd : "", revenue_p90_usd: p ? p.revenue_p90_usd : "",
        hit_probability: p ? p.probability : "", is_hit: p ? (p.is_hit ? "True" : "False") : "", hit_threshold: p ? p.threshold : "", profit_usd: p ? p.profit_usd : "", profit_p10_usd: p ? p.profit_p10_usd : "",
        profit_p90_usd: p ? p.profit_p90_usd : "", p_profit: p ? p.p_profit : "", break_even_revenue_usd: p ? p.break_even_revenue_usd : "",
        model: p ? p.model : "", warnings: p ? p.warnings.join(" | ") : "", // as the client's slate writes them
      };
    });
    // A warning every film forecast carries is said once, above the table (the download keeps
    // each row's own): else it fills most of the table.
    const forecasts = rows.map((row) => byRow.get(row)).filter(Boolean);
    const common = forecasts.length > 1 ? forecasts[0].warnings.filter((w) => forecasts.every((p) => p.warnings.includes(w))) : [];
    const own = (p) => (p ? p.warnings.filter((w) => !common.includes(w)).join(" | ") : "");
    $("films-common").hidden = !common.length;
    $("films-common").textContent = common.length ? `Every film forecast: ${common.join(" | ")}` : "";
    table(
      "films-table",
      ["#", "Title", "Budget", "Revenue", "80% range", "P(hit)", "Profit 80% range", "P(profit)", "Warnings"],
      lastRows.map((r, i) =>
        r.error
          ? [String(r.row), { text: r.title, className: "title" }, { text: r.error, className: "row-error" }]
          : [
              String(r.row), { text: r.title, className: "title" }, typeof r.budget_usd === "number" ? usd(r.budget_usd) : r.budget_usd || "–", usd(r.revenue_usd),
              `${usd(r.revenue_p10_usd)} to ${usd(r.revenue_p90_usd)}`, percent(r.hit_probability),
              `${signedUsd(r.profit_p10_usd)} to ${signedUsd(r.profit_p90_usd)}`, percent(r.p_profit),
              ...[own(byRow.get(rows[i]))].map((text) => ({ text: text || "–", className: text ? "row-warning" : "" })),
            ]
      ),
      { narrow: [2, 4, 6, 8] }
    );
    for (const td of document.querySelectorAll("#films-table td.row-error")) {
      td.classList.remove("wide-only"); // the reason is shown at every width
      td.colSpan = 7;
    }
    $("films-panel").hidden = false;
    $("films-footnote").textContent =
      "Every row of the CSV, in order: a row left out says why beside it, a film forecast outside what the models learned from says so under Warnings, on a wider screen and in the download. Amounts in the CSV are in US$ (150000000 for $150M). The download holds every row.";
    $("download").disabled = false;
  }

  // -- start ----------------------------------------------------------------------------------
  async function start() {
    settings = await BO.settings();
    $("max-slate").textContent = String(settings.max_slate);
    showAssumptions();
    $("slate-form").addEventListener("submit", (event) => {
      event.preventDefault();
      forecast();
    });
    $("example").addEventListener("click", () => {
      $("csv").value = settings.example_slate;
      clearErrors();
      stale.mark();
      $("submit").focus();
    });
    $("clear").addEventListener("click", clearErrors);
    $("slate-form").addEventListener("input", stale.mark);
    $("slate-form").addEventListener("reset", stale.mark);
    $("file").addEventListener("change", async () => {
      const file = $("file").files[0];
      if (file) $("csv").value = await file.text();
      stale.mark();
    });
    $("download").addEventListener("click", () => {
      if (!lastRows) return;
      // With an id column (the rows' own key), it follows the row number, as in `slate --out`.
      const columns = lastRows.some((r) => r.id !== null) ? ["row", ROW_ID, ...TABLE_COLUMNS.slice(1)] : TABLE_COLUMNS;
      BO.download("slate.csv", columns, lastRows.map((r) => columns.map((c) => r[c])));
    });
    for (const name of ["studio_share", "marketing_usd"]) BO.guardPaste($(name), (msg) => fieldError(name, msg));
    BO.ready();
  }

  start().catch((error) => {
    const box = $("general-error");
    box.textContent = "The page could not start: " + error;
    box.hidden = false;
  });
})();
