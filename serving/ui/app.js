/* The analyst's page for one film: one form, five calls to the service's APIs, the answers as
 * figures.
 *
 * No state on the server: the page calls /predict_revenue and /predict_hit (with their
 * explanations), /predict_scenarios twice (a budget sweep and the twelve release months) and
 * /comparable_films, in parallel, like any client. Every figure about the film is read from one
 * forecast of it (the API's): revenue, its range, P(hit) and profit agree. The form is kept in
 * the URL's fragment, so a forecast can be bookmarked or sent. A 400's `detail[].loc` names the
 * field its message is shown beside.
 */
"use strict";

(() => {
  const { $, usd, percent, times, points, millions, COLORS, post, describeFailure, table, chart, narrow } = BO;
  const API = {
    revenue: "../predict_revenue",
    hit: "../predict_hit",
    scenarios: "../predict_scenarios",
    comparables: "../comparable_films",
  };
  const EXPLAIN_TOP = 10;
  // Budgets from 1/4 to 4 times the one entered, 21 of them evenly spaced on a log scale.
  const SWEEP_STEPS_PER_DOUBLING = 5;
  const SWEEP_DOUBLINGS = 2;
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  // How the form reads each field: from the field table (settings.form, boxoffice/fields.py).
  let SCALED = {}; // typed in millions (budget, marketing) or in percent (shares, threshold)
  let NUMBER_FIELDS = [];
  let LINE_LISTS = []; // names may hold commas: one per line
  let CODE_LISTS = []; // codes: separated by spaces or commas
  let TEXT_FIELDS = [];
  let FIELD_IDS = [];
  let POST_RELEASE = []; // the fields read only after release
  let LABELS = {}; // each field's label on the form
  let MILLIONS_CEILING = Infinity; // at or above: typed in dollars (settings.millions_ceiling)

  function readSettings() {
    const form = settings.form;
    SCALED = Object.fromEntries(form.filter((f) => f.scale !== 1).map((f) => [f.name, f.scale]));
    NUMBER_FIELDS = form.filter((f) => f.kind === "number" || f.kind === "whole").map((f) => f.name);
    LINE_LISTS = form.filter((f) => f.lines).map((f) => f.name);
    CODE_LISTS = form.filter((f) => f.kind === "codes" && !f.lines).map((f) => f.name);
    const texts = form.filter((f) => ["text", "date", "code"].includes(f.kind)).map((f) => f.name);
    TEXT_FIELDS = [...texts, ...CODE_LISTS, ...LINE_LISTS];
    FIELD_IDS = form.map((f) => f.name);
    POST_RELEASE = form.filter((f) => f.group === "after").map((f) => f.name);
    LABELS = Object.fromEntries(form.map((f) => [f.name, f.label]));
    MILLIONS_CEILING = settings.millions_ceiling;
  }
  // What a required field left empty is told (the API's own words for the budget's rule).
  const REQUIRED = { budget: "Give the budget, in US$ millions.", runtime: "Give the runtime, in minutes." };
  // Fields an error may name that the form spells another way.
  const FIELD_ALIASES = { vote_avg: "vote_average", log_budget: "budget", release_year: "release_date" };

  let settings = null;
  let submission = 0; // answers to an older submission are dropped
  const stale = BO.staleness("The film changed: press Forecast to update the figures.");
  let lastComparables = null;
  let lastExplanations = null;
  let shownLink = null; // the fragment of the film whose forecast is shown

  // -- the form ------------------------------------------------------------------------------
  function buildGenres() {
    const list = $("genres-list");
    for (const genre of settings.genres) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "genres";
      box.value = genre;
      box.id = "genre-" + genre.replace(/\W+/g, "-");
      label.append(box, " " + genre);
      list.append(label);
    }
  }

  function lines(text) {
    return text.split("\n").map((s) => s.trim()).filter(Boolean);
  }

  /** What the page itself can tell about a number typed in its unit, before asking the API. */
  function checkNumber(name, value) {
    if (name === "budget" && value >= MILLIONS_CEILING) {
      return `That is $${BO.F1.format(value / 1e6)} trillion: the budget is in US$ millions (150 means $150M).`;
    }
    // $1 billion to $100 billion: more than any film has cost, most likely typed in thousands
    // (90000 for $90M), which the models would read as a film far beyond any they learned from.
    if (name === "budget" && value * SCALED.budget >= settings.max_plausible_budget_usd) {
      const billions = BO.F1.format((value * SCALED.budget) / 1e9);
      return `That is $${billions} billion, more than any film has cost: the budget is in US$ millions (90 means $90M).`;
    }
    if (name === "runtime" && value < settings.min_plausible_runtime) {
      return `${value} minutes? The runtime is in minutes (108 for 1 h 48 min).`;
    }
    // Ten hours or more: no film in cinemas runs so long (the published table's longest: 338
    // minutes); most likely typed in seconds (8100 for 2 h 15 min).
    if (name === "runtime" && value >= settings.max_plausible_runtime) {
      const hours = BO.F1.format(value / 60);
      return `${value} minutes is ${hours} hours, longer than any film in cinemas: the runtime is in minutes (135 for 2 h 15 min, not 8100 seconds).`;
    }
    if (name === "budget" && value * SCALED.budget < settings.min_plausible_usd) {
      const floor = settings.min_plausible_usd / SCALED.budget;
      return `Enter the budget in US$ millions, at least ${floor} ($${settings.min_plausible_usd.toLocaleString("en-US")}; no film the models learned from cost less): 150 means $150M.`;
    }
    if (name === "marketing_usd" && value >= MILLIONS_CEILING) {
      return "Marketing is in US$ millions (20 means $20M).";
    }
    if (name === "marketing_usd" && value < 0) {
      return "Enter US$ millions, at least 0 (20 means $20M).";
    }
    if (name === "studio_share" && !(value >= settings.min_studio_share * 100 && value <= 100)) {
      return BO.shareProblem(value, settings.min_studio_share);
    }
    // A value under 1 is most likely a probability typed as one (0.4 for 40%).
    if (name === "hit_threshold" && !(value >= 1 && value <= 99)) {
      return "Enter a percentage from 1 to 99 (40 means a 40% chance).";
    }
    return null;
  }

  /** The film as the API takes it, from the form; and the inputs the page could not take. */
  function readFilm() {
    const film = {};
    const unreadable = [];
    const title = $("title").value.trim();
    if (title) film.title = title;
    for (const name of NUMBER_FIELDS) {
      const input = $(name);
      if (input.validity.badInput) {
        unreadable.push({ field: name, msg: "Enter a number" });
      } else if (input.required && input.value.trim() === "") {
        unreadable.push({ field: name, msg: REQUIRED[name] || "Required: the models read it for every film." });
      } else if (input.value.trim() !== "") {
        const value = Number(input.value);
        const problem = Number.isFinite(value) ? checkNumber(name, value) : "Enter a number";
        if (problem) unreadable.push({ field: name, msg: problem });
        // 12 significant digits drop the float noise of the unit's scaling.
        else film[name] = SCALED[name] ? Number((value * SCALED[name]).toPrecision(12)) : value;
      }
    }
    // The post-release model reads its fields together: one left out is read as the training
    // films' median (a vote average alone took a $200M forecast to $63M), so all or none.
    const given = POST_RELEASE.filter((name) => name in film);
    if (given.length && given.length < POST_RELEASE.length) {
      const named = (names) => names.map((n) => LABELS[n] || n).join(" and ");
      const missing = POST_RELEASE.filter((n) => !(n in film) && !unreadable.some((u) => u.field === n));
      // The reason once, beside the first field left empty; the others only what to do.
      missing.forEach((name, i) => {
        const why = `: the post-release model reads ${named(POST_RELEASE).replace(/ and (?=.* and )/g, ", ")} together, and would read an empty one as the training films' median.`;
        unreadable.push({ field: name, msg: `Enter it too, or clear ${named(given)}${i === 0 ? why : "."}` });
      });
    }
    const genres = [...document.querySelectorAll("#genres-list input:checked")].map((b) => b.value);
    if (genres.length) film.genres = genres;
    if ($("release_date").validity.badInput) {
      unreadable.push({ field: "release_date", msg: "Enter a complete date" });
    } else if ($("release_date").value) {
      film.release_date = $("release_date").value;
    } else {
      // The API would score the film at the training films' median year, in its dollars.
      unreadable.push({ field: "release_date", msg: "Enter the release date: its year sets the dollars of every figure, its month the season" });
    }
    const language = $("original_language").value.trim();
    if (language) film.original_language = language;
    for (const name of LINE_LISTS) {
      const items = lines($(name).value);
      if (items.length) film[name] = items;
    }
    for (const name of CODE_LISTS) {
      // A name where codes go ("United States, GB"), split at its spaces, read as codes
      // 'United' and 'States': said whole, with the codes the field takes.
      const named = $(name).value.split(/[,;\n]+/).map((s) => s.trim()).find((s) => /\p{L}{4,}/u.test(s));
      if (named) {
        const unit = document.querySelector(`label[for='${name}'] .unit`);
        unreadable.push({ field: name, msg: `'${named}' is a name: write codes${unit ? ` (${unit.textContent})` : ""}.` });
        continue;
      }
      const codes = $(name).value.split(/[\s,;]+/).filter(Boolean);
      if (codes.length) film[name] = codes;
    }
    return { film, unreadable };
  }

  /** The form's fields as typed, for the URL's fragment. */
  function formState() {
    const state = new URLSearchParams();
    for (const name of [...NUMBER_FIELDS, ...TEXT_FIELDS]) {
      const value = $(name).value;
      if (value.trim() !== "") state.set(name, value);
    }
    const genres = [...document.querySelectorAll("#genres-list input:checked")].map((b) => b.value);
    if (genres.length) state.set("genres", genres.join(","));
    return state;
  }

  function fillForm(values) {
    $("film-form").reset();
    for (const name of [...NUMBER_FIELDS, ...TEXT_FIELDS]) {
      if (values[name] !== undefined) $(name).value = values[name];
    }
    const genres = new Set(values.genres ? values.genres.split(",") : []);
    for (const box of document.querySelectorAll("#genres-list input")) box.checked = genres.has(box.value);
    const postRelease = POST_RELEASE.some((n) => values[n] !== undefined);
    $("post-release").open = postRelease;
    $("verdict-options").open = values.hit_threshold !== undefined;
  }

  function fillExample() {
    const film = settings.example;
    const values = {};
    for (const [name, value] of Object.entries(film)) {
      if (SCALED[name]) values[name] = String(value / SCALED[name]);
      else if (name === "genres") values.genres = value.join(",");
      else if (LINE_LISTS.includes(name)) values[name] = value.join("\n");
      else if (CODE_LISTS.includes(name)) values[name] = value.join(", ");
      else values[name] = String(value);
    }
    fillForm(values);
    clearErrors();
    stale.mark();
    $("submit").focus();
  }

  // -- errors ---------------------------------------------------------------------------------
  function clearErrors() {
    for (const element of document.querySelectorAll(".field-error, .panel-error, #form-error, #general-error")) {
      element.hidden = true;
      element.textContent = "";
    }
    for (const element of document.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  }

  function showFieldError(field, msg) {
    const box = $(field + "-error");
    box.textContent = box.textContent ? box.textContent + " " + msg : msg;
    box.hidden = false;
    $(field).setAttribute("aria-invalid", "true");
    if (POST_RELEASE.includes(field)) $("post-release").open = true;
    if (field === "hit_threshold") $("verdict-options").open = true;
  }

  function showFormError(msg) {
    const box = $("form-error");
    box.textContent = box.textContent ? box.textContent + " " + msg : msg;
    box.hidden = false;
  }

  /** The API's message in the form's units where the field is typed in another unit. */
  function inFormUnits(field, msg) {
    if (!SCALED[field] || SCALED[field] === 1) return msg;
    const limit = /(greater|less) than (or equal to )?([0-9.e+]+)/.exec(msg);
    if (!limit || Number(limit[3]) === 0) return msg; // 0 reads the same in any unit
    const value = Number(limit[3]) / SCALED[field];
    const unit = SCALED[field] === 1e6 ? ` (US$ millions)` : "%";
    const shown = value < 1 ? String(Number(value.toPrecision(3))) : BO.F1.format(value).replace(/\.0$/, "");
    return msg.replace(limit[3], shown) + (unit === "%" ? "" : unit);
  }

  /** Where a 400's error belongs: a field of the form, the film as a whole, or a scenario. */
  function placeError(error, kind) {
    let loc = error.loc || [];
    if (kind === "scenarios") {
      if (loc[0] === "scenarios") return { scenario: true };
      if (loc[0] === "film") loc = loc.slice(1);
    }
    const msg = BO.cleanMessage(error.msg);
    if (loc.length === 0) {
      // A rule across fields: beside the first field it names, if the form has it.
      for (const match of msg.matchAll(/'(\w+)'/g)) {
        const field = FIELD_ALIASES[match[1]] || match[1];
        if (FIELD_IDS.includes(field)) return { field, msg };
      }
      return { field: null, msg };
    }
    const field = FIELD_ALIASES[loc[0]] || loc[0];
    // The API's budget rule names its log_budget too, which the form does not have.
    if (field === "budget" && msg.startsWith("required: give")) return { field, msg: "Give the budget, in US$ millions." };
    const item = typeof loc[1] === "number" ? `item ${loc[1] + 1}: ` : "";
    const known = FIELD_IDS.includes(field);
    return { field: known ? field : null, msg: item + (known ? inFormUnits(field, msg) : msg), loc };
  }

  /** Every field error of the 400 answers, once each; true when there was any. */
  function showValidationErrors(answers) {
    const seen = new Set();
    let any = false;
    for (const [kind, answer] of answers) {
      if (!answer || answer.status !== 400 || !Array.isArray(answer.body && answer.body.detail)) continue;
      for (const error of answer.body.detail) {
        const placed = placeError(error, kind);
        if (placed.scenario) continue; // the page made the scenarios: said on their chart
        const key = placed.field + "|" + placed.msg;
        if (seen.has(key)) continue;
        seen.add(key);
        any = true;
        if (placed.field) showFieldError(placed.field, placed.msg);
        else showFormError((placed.loc ? placed.loc.join(".") + ": " : "") + placed.msg);
      }
    }
    return any;
  }

  // -- calls ----------------------------------------------------------------------------------
  function sweepBudgets(budget) {
    if (!(typeof budget === "number" && budget > 0)) return [];
    const budgets = [];
    const steps = SWEEP_STEPS_PER_DOUBLING * SWEEP_DOUBLINGS;
    for (let i = -steps; i <= steps; i++) {
      const value = i === 0 ? budget : Number((budget * 2 ** (i / SWEEP_STEPS_PER_DOUBLING)).toPrecision(4));
      // The sweep keeps to the budgets the API takes (a $20,000 film's quarter would be refused)
      // and the form does (a $600M film's four times, $2.4 billion, more than any film has cost).
      const plausible = value >= settings.min_plausible_usd && value < settings.max_plausible_budget_usd;
      if (i === 0 || (plausible && value <= settings.max_budget_usd)) budgets.push(value);
    }
    return budgets;
  }

  /** The twelve months of the date's year, each on the day nearest the date's day of the month
   * that falls on the same day of the week (the models read the weekday too: a month compared
   * on another weekday would move with it). The entered date is its own month's. */
  function monthDates(date) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
    if (!match) return [];
    const [year, day] = [Number(match[1]), Number(match[3])];
    const weekday = new Date(Date.UTC(year, Number(match[2]) - 1, day)).getUTCDay();
    return MONTHS.map((_, m) => {
      const last = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
      const wanted = Math.min(day, last);
      const shift = (weekday - new Date(Date.UTC(year, m, wanted)).getUTCDay() + 7) % 7;
      const on = wanted + (shift <= 3 ? shift : shift - 7); // the nearest, -3 to +3 days
      const inside = on < 1 ? on + 7 : on > last ? on - 7 : on;
      return `${match[1]}-${String(m + 1).padStart(2, "0")}-${String(inside).padStart(2, "0")}`;
    });
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  async function forecast() {
    const current = ++submission;
    const editsAsked = stale.edits;
    clearErrors();
    $("general-error").hidden = true;
    const { film, unreadable } = readFilm();
    const results = $("results");
    if (unreadable.length) {
      for (const { field, msg } of unreadable) showFieldError(field, msg);
      setStatus("Fix the fields marked in red.");
      // The figures shown were another film's: they go, as when the service refuses the film.
      $("answer").hidden = true;
      $("placeholder").hidden = false;
      results.dataset.state = "invalid";
      $(unreadable[0].field).focus();
      return;
    }
    results.dataset.state = "loading";
    results.setAttribute("aria-busy", "true");
    $("submit").disabled = true;
    setStatus("Forecasting…");
    const started = performance.now();

    const explained = { ...film, explain: true, explain_top: EXPLAIN_TOP };
    const budgets = sweepBudgets(film.budget);
    const dates = monthDates(film.release_date);
    // A bad film gets its errors from every call: the sweep then only carries the film.
    const sweepScenarios = budgets.length ? budgets.map((budget) => ({ budget })) : [{}];
    // The revenue first: a film it refuses every call refuses alike, so it is asked once (a bad
    // field logged five failed requests in the browser's console, and cost the service five).
    const revenue = await post(API.revenue, explained);
    if (current !== submission) return;
    const [hit, sweep, months, comparables] =
      revenue.status === 400
        ? [null, null, null, null]
        : await Promise.all([
            post(API.hit, explained),
            post(API.scenarios, { film, scenarios: sweepScenarios }),
            dates.length ? post(API.scenarios, { film, scenarios: dates.map((d) => ({ release_date: d })) }) : null,
            post(API.comparables, { ...film, k: settings.comparables_k }),
          ]);
    if (current !== submission) return;
    $("submit").disabled = false;
    results.removeAttribute("aria-busy");

    const answers = [["film", revenue], ["film", hit], ["scenarios", sweep], ["scenarios", months], ["film", comparables]];
    if (showValidationErrors(answers)) {
      $("answer").hidden = true;
      $("placeholder").hidden = false;
      results.dataset.state = "invalid";
      setStatus("Fix the fields marked in red.");
      const first = document.querySelector("[aria-invalid='true']");
      if (first) (first.tagName === "FIELDSET" ? first.querySelector("input") : first).focus();
      return;
    }
    const failed = [
      ["revenue forecast", revenue],
      ["hit forecast", hit],
      ["comparable films", comparables],
    ].filter(([, answer]) => answer && !answer.ok);
    if (failed.length) {
      const general = $("general-error");
      general.textContent = failed.map(([what, answer]) => `The ${what}: ${describeFailure(answer)}.`).join(" ");
      general.hidden = false;
    }
    if (!revenue.ok || !hit || !hit.ok) {
      $("answer").hidden = true;
      results.dataset.state = "failed";
      setStatus("The service did not answer.");
      return;
    }
    $("placeholder").hidden = true;
    $("answer").hidden = false;
    render({ film, explained, revenue: revenue.body, hit: hit.body, budgets, dates, sweep, months, comparables });
    shownLink = formState().toString();
    history.replaceState(null, "", "#" + shownLink);
    results.dataset.state = "done";
    setStatus(`Answered in ${Math.round(performance.now() - started)} ms.`);
    if (stale.edits !== editsAsked) stale.mark(); // edited while it was being forecast
  }

  // -- rendering ------------------------------------------------------------------------------
  function setFigure(id, text, value) {
    const element = $(id);
    element.textContent = text;
    if (value !== undefined) element.dataset.value = String(value);
  }

  /** Profit with its sign: "+$12.3M", "−$4.0M". */
  const signedUsd = (value) => (value >= 0 ? "+" : "") + usd(value);

  function render(state) {
    const { film, revenue, hit } = state;
    setFigure("revenue", usd(revenue.revenue_usd), revenue.revenue_usd);
    setFigure("revenue-p10", usd(revenue.revenue_p10_usd), revenue.revenue_p10_usd);
    setFigure("revenue-p90", usd(revenue.revenue_p90_usd), revenue.revenue_p90_usd);
    // As percent's "<50.0%": a multiple just under the hit ratio never reads as it ("×2.00").
    const multiple = revenue.revenue_usd / film.budget;
    const under = multiple < hit.hit_ratio && times(multiple) === times(hit.hit_ratio);
    $("revenue-multiple").textContent = film.budget > 0 ? `${under ? "just under " : ""}${times(multiple)} the budget` : "";
    const newest = revenue.dollars_year - revenue.horizon_years;
    $("revenue-when").textContent =
      `In ${revenue.dollars_year} dollars, as every figure on this page. ` +
      (revenue.horizon_years > 0
        ? `${revenue.horizon_years} year${revenue.horizon_years === 1 ? "" : "s"} after the newest film the model learned from (${newest}): the range allows for how far the models missed that many years ahead.`
        : `Within the years the model learned from (the newest film: ${newest}).`);
    $("revenue-when").dataset.dollarsYear = revenue.dollars_year;
    $("revenue-when").dataset.horizonYears = revenue.horizon_years;

    setFigure("probability", percent(hit.probability), hit.probability);
    const verdict = $("verdict");
    verdict.textContent = hit.is_hit ? "Hit" : "Not a hit";
    verdict.className = "verdict " + (hit.is_hit ? "hit" : "miss");
    $("gauge-fill").style.width = (hit.probability * 100).toFixed(2) + "%";
    $("gauge-mark").style.left = `calc(${(hit.threshold * 100).toFixed(2)}% - 1px)`;
    $("gauge").setAttribute("aria-label", `P(hit) ${percent(hit.probability)} against the verdict's ${percent(hit.threshold)}`);
    const line = $("hit-line");
    // A forecast that rounds to the hit line is said against it in dollars: "$184.8M" twice,
    // beside "Not a hit", would read as a contradiction.
    const gap = revenue.revenue_usd - hit.hit_revenue_usd;
    const alike = gap !== 0 && usd(revenue.revenue_usd) === usd(hit.hit_revenue_usd);
    line.textContent =
      `A hit: revenue above ${BO.F1.format(hit.hit_ratio).replace(/\.0$/, "")}× the budget, ${usd(hit.hit_revenue_usd)}` +
      (alike ? `; the forecast is $${Math.round(Math.abs(gap)).toLocaleString("en-US")} ${gap < 0 ? "under" : "over"} it` : "");
    line.dataset.value = String(hit.hit_revenue_usd);
    setFigure("threshold", percent(hit.threshold), hit.threshold);
    // A threshold other than 50% may call a hit a forecast under the hit line (or the reverse):
    // said, so that "Hit" beside a forecast under the line reads as the threshold's doing.
    const likely = hit.probability >= 0.5;
    $("threshold-note").textContent =
      hit.is_hit === likely
        ? ""
        : hit.is_hit
          ? ` At ${percent(hit.threshold)}, this film is called a hit though its forecast is under the hit line.`
          : ` At ${percent(hit.threshold)}, this film is not called a hit though its forecast is over the hit line.`;

    setFigure("profit", signedUsd(revenue.profit_usd), revenue.profit_usd);
    setFigure("profit-p10", signedUsd(revenue.profit_p10_usd), revenue.profit_p10_usd);
    setFigure("profit-p90", signedUsd(revenue.profit_p90_usd), revenue.profit_p90_usd);
    setFigure("p-profit", percent(revenue.p_profit), revenue.p_profit);
    // A forecast over the hit line beside a likely loss (or the reverse) is no contradiction: the
    // hit line leaves out the studio's share and the marketing, which breaking even counts. Said
    // where they part (the forecast's side of the hit line, not the verdict: a threshold other
    // than 50% moves the verdict, and the threshold note says so).
    const parted = likely !== revenue.p_profit >= 0.5;
    $("profit-note").textContent =
      `${percent(revenue.studio_share)} of the box office to the studio, ${usd(revenue.marketing_usd)} of marketing: ` +
      `it breaks even at a revenue of ${usd(revenue.break_even_revenue_usd)}` +
      (parted && film.budget > 0
        ? `, ${times(revenue.break_even_revenue_usd / film.budget)} the budget; the hit line (${BO.F1.format(hit.hit_ratio).replace(/\.0$/, "")}×) leaves out the share and the marketing.`
        : ".");
    $("profit-note").dataset.breakEven = String(revenue.break_even_revenue_usd);

    const modelName = revenue.model === "post_release" ? "post-release" : "pre-release";
    $("model-line").textContent = `Answered by the ${modelName} model ${revenue.model_version}.`;

    const warnings = [...new Set([...revenue.warnings, ...hit.warnings])];
    $("warnings").replaceChildren(
      ...warnings.map((text) => {
        const item = document.createElement("li");
        // The API's advice for a list cell; on this form each name has its own line.
        item.textContent = text.replace(settings.several_names.api, settings.several_names.form);
        return item;
      })
    );
    $("warnings-panel").hidden = warnings.length === 0;

    lastExplanations = { revenue: revenue.explanation, hit: hit.explanation };
    renderContributions();
    renderSweep(state);
    renderMonths(state);
    lastComparables = state.comparables.ok ? state.comparables.body : null;
    if (!state.comparables.ok) {
      $("comps-error").textContent = "Not available: " + describeFailure(state.comparables);
      $("comps-error").hidden = false;
    }
    renderComparables();
    $("request-json").textContent = JSON.stringify(state.explained, null, 2);
  }

  /** A vertical line at the film as entered (its budget, its month). */
  const markerPlugin = {
    id: "marker",
    afterDatasetsDraw(instance, _args, options) {
      if (options.value === undefined || options.value === null) return;
      const x = instance.scales.x.getPixelForValue(options.value);
      const { top, bottom } = instance.chartArea;
      const context = instance.ctx;
      context.save();
      context.strokeStyle = COLORS.line;
      context.setLineDash([4, 4]);
      context.beginPath();
      context.moveTo(x, top);
      context.lineTo(x, bottom);
      context.stroke();
      context.restore();
    },
  };

  function scenarioNote(answer, base, count, what) {
    // A warning's kind: its text without the amounts in it ("budget $1.25B is outside …" and
    // "budget $90M is outside …" are one kind).
    const kind = (w) => w.replace(/\$?[\d.,]+[MBT]?/g, "#");
    const own = new Set(base.warnings.map(kind));
    const novel = (s) => s.warnings.find((w) => !own.has(kind(w)));
    const extra = answer.scenarios.filter(novel);
    return extra.length
      ? `${extra.length} of ${count} ${what} ${extra.length === 1 ? "has" : "have"} a warning the film itself does not (see the data), e.g. “${novel(extra[0])}”.`
      : "";
  }

  /** The legend of a chart whose 80% range is filled between its P90 and P10 lines. */
  function bandLegend(instance) {
    return Chart.defaults.plugins.legend.labels
      .generateLabels(instance)
      .filter((item) => item.text !== "P90")
      .map((item) => (item.text === "P10" ? { ...item, text: "80% range" } : item));
  }

  function tooltipLabel(item) {
    const value = item.raw && typeof item.raw === "object" && "y" in item.raw ? item.raw.y : item.raw;
    if (item.dataset.yAxisID === "y2") return `${item.dataset.label}: ${percent(value)}`;
    if (Array.isArray(value)) return `${item.dataset.label}: ${usd(value[0] * 1e6)} to ${usd(value[1] * 1e6)}`;
    return `${item.dataset.label}: ${usd(value * 1e6)}`;
  }

  // A chart panel without its figures: its message, and nothing left of an earlier forecast.
  function unavailable(panel, message) {
    const error = $(`${panel}-error`);
    error.textContent = message;
    error.hidden = false;
    $(`${panel}-caption`).textContent = "";
    $(`${panel}-table`).replaceChildren();
    $(`${panel}-note`).textContent = "";
    BO.dropChart(`${panel}-chart`);
  }

  const legend = () => ({ position: "bottom", labels: { generateLabels: bandLegend, boxWidth: 10, font: { size: narrow() ? 10 : 12 } } });

  function renderSweep(state) {
    const { sweep, budgets, film, revenue, hit } = state;
    if (!sweep.ok || !budgets.length) {
      unavailable("sweep", "Not available: " + describeFailure(sweep));
      return;
    }
    const points = sweep.body.scenarios;
    const at = (key) => points.map((p, i) => ({ x: millions(budgets[i]), y: key === "probability" ? p[key] : millions(p[key]) }));
    const ends = (f) => [budgets[0], budgets[budgets.length - 1]].map((b) => ({ x: millions(b), y: millions(f(b)) }));
    const ratio = hit.hit_ratio;
    const share = revenue.studio_share;
    const marketing = revenue.marketing_usd;
    $("sweep-caption").textContent = `${points.length} budgets, ${times(budgets[0] / film.budget)} to ${times(budgets[budgets.length - 1] / film.budget)} the film's, in ${points[0].dollars_year} dollars`;
    // Straight on log axes only without marketing: drawn through every budget then.
    const evenLine = marketing > 0 ? budgets.map((b) => ({ x: millions(b), y: millions((b + marketing) / share) })) : ends((b) => b / share);
    BO.chart("sweep-chart", {
      type: "line",
      data: {
        datasets: [
          { label: "P90", data: at("revenue_p90_usd"), borderWidth: 0, pointRadius: 0, fill: false, yAxisID: "y" },
          { label: "P10", data: at("revenue_p10_usd"), borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: COLORS.band, yAxisID: "y" },
          { label: "Revenue forecast", data: at("revenue_usd"), borderColor: COLORS.accent, backgroundColor: COLORS.accent, pointRadius: 2, yAxisID: "y" },
          { label: `Hit line (${ratio}× budget)`, data: ends((b) => ratio * b), borderColor: COLORS.line, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, yAxisID: "y" },
          { label: "Break-even revenue", data: evenLine, borderColor: COLORS.even, borderDash: [2, 3], borderWidth: 1.5, pointRadius: 0, yAxisID: "y" },
          { label: "P(hit)", data: at("probability"), borderColor: COLORS.hit, backgroundColor: COLORS.hit, pointRadius: 2, yAxisID: "y2" },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        plugins: {
          marker: { value: millions(film.budget) },
          legend: legend(),
          tooltip: { callbacks: { title: (items) => "Budget " + usd(items[0].parsed.x * 1e6), label: tooltipLabel } },
        },
        scales: {
          x: { type: "logarithmic", title: { display: true, text: "Budget (US$, log scale)" }, ticks: { callback: BO.logTick, autoSkip: false, maxRotation: 0 } },
          y: { type: "logarithmic", title: { display: !narrow(), text: "Revenue (US$, log scale)" }, afterBuildTicks: BO.logTicks, ticks: { callback: BO.moneyTick, autoSkip: false } },
          y2: BO.hitAxis(),
        },
      },
      plugins: [markerPlugin],
    });
    const base = budgets.indexOf(film.budget);
    table(
      "sweep-table",
      ["Budget", "Revenue", "80% range", "P(hit)", "Verdict", "P(profit)"],
      points.map((p, i) => [
        usd(budgets[i]), usd(p.revenue_usd), { text: `${usd(p.revenue_p10_usd)} to ${usd(p.revenue_p90_usd)}`, className: "range-cell" }, percent(p.probability),
        { text: p.is_hit ? "Hit" : "Not a hit", className: p.is_hit ? "yes" : "no" }, percent(p.p_profit),
      ]),
      { base, narrow: [4] }
    );
    const same = marketing === 0 && Math.abs(share * ratio - 1) < 1e-9;
    $("sweep-note").textContent =
      "The 80% range is shaded; the dashed vertical line is the budget entered. Where the forecast is above the hit line, P(hit) is above 50%" +
      (same ? "; with these assumptions breaking even is a hit, so the two lines are one. " : ". ") +
      "Each budget is forecast as the models read films of that budget: what such films earned, not what spending more would cause; the small steps are the trees' own. " +
      BO.verdictFlips(points, budgets) +
      scenarioNote(sweep.body, sweep.body.base, points.length, "budgets");
  }

  function renderMonths(state) {
    const { months, dates, film, hit } = state;
    if (!dates.length) {
      unavailable("months", "Give a release date to compare the twelve months of its year.");
      return;
    }
    if (!months.ok) {
      unavailable("months", "Not available: " + describeFailure(months));
      return;
    }
    const points = months.body.scenarios;
    const entered = Number(film.release_date.slice(5, 7)) - 1;
    const hitLine = hit.hit_revenue_usd;
    const weekday = WEEKDAYS[new Date(film.release_date + "T00:00:00Z").getUTCDay()];
    $("months-caption").textContent = `the 12 months of ${film.release_date.slice(0, 4)}, each on a ${weekday}, in ${points[0].dollars_year} dollars`;
    BO.chart("months-chart", {
      type: "bar",
      data: {
        labels: MONTHS,
        datasets: [
          // The hit line drawn over the forecast: where the two meet, the verdict turns.
          { type: "line", label: "Revenue forecast", data: points.map((p) => millions(p.revenue_usd)), borderColor: COLORS.accent, backgroundColor: COLORS.accent, pointRadius: 3, yAxisID: "y", order: 1 },
          // In the revenue axis's units, and not in P(hit)'s colour: it is no P(hit) of 50%.
          { type: "line", label: `Hit line (${BO.F1.format(hit.hit_ratio).replace(/\.0$/, "")}× budget)`, data: points.map(() => millions(hitLine)), borderColor: COLORS.line, borderDash: [6, 4], borderWidth: 2, pointRadius: 0, yAxisID: "y", order: 0 },
          { type: "line", label: "P(hit)", data: points.map((p) => p.probability), borderColor: COLORS.hit, backgroundColor: COLORS.hit, pointRadius: 2, yAxisID: "y2", order: 2 },
          {
            type: "bar", label: "80% range", data: points.map((p) => [millions(p.revenue_p10_usd), millions(p.revenue_p90_usd)]),
            backgroundColor: points.map((_, i) => (i === entered ? COLORS.barBase : COLORS.bar)), yAxisID: "y", order: 3,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 10, font: { size: narrow() ? 10 : 12 } } }, tooltip: { callbacks: { label: tooltipLabel } } },
        scales: {
          x: {
            title: { display: !narrow(), text: `Release month (${film.release_date.slice(0, 4)}); the darker bar is the date entered` },
            ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 6 },
          },
          y: { type: "logarithmic", title: { display: !narrow(), text: "Revenue (US$, log scale)" }, afterBuildTicks: BO.logTicks, ticks: { callback: BO.moneyTick, autoSkip: false } },
          y2: BO.hitAxis(),
        },
      },
    });
    table(
      "months-table",
      ["Release date", "Revenue", "80% range", "P(hit)", "Verdict", "P(profit)"],
      points.map((p, i) => [
        dates[i], usd(p.revenue_usd), { text: `${usd(p.revenue_p10_usd)} to ${usd(p.revenue_p90_usd)}`, className: "range-cell" }, percent(p.probability),
        { text: p.is_hit ? "Hit" : "Not a hit", className: p.is_hit ? "yes" : "no" }, percent(p.p_profit),
      ]),
      { base: entered, narrow: [4] }
    );
    $("months-note").textContent = scenarioNote(months.body, months.body.base, points.length, "months");
  }

  function renderContributions() {
    if (!lastExplanations) return;
    const which = document.querySelector("input[name='explained']:checked").value;
    const explanation = lastExplanations[which];
    const items = explanation.contributions;
    const revenue = which === "revenue";
    // Revenue: each driver multiplies the forecast (shown as the % it changes it by); P(hit): each
    // moves it by points.
    const value = (c) => (revenue ? (c.factor - 1) * 100 : c.contribution * 100);
    const label = (c) => (revenue ? times(c.factor) : points(c.contribution));
    const size = narrow() ? 18 : 40;
    const axis = revenue ? "Effect on the revenue forecast (%)" : "Effect on P(hit) (points)";
    // Round ticks over the bars and zero; a factor's effect never reaches −100%, so the axis
    // stops there (Chart.js's own nice ticks ran it to −200% on a phone).
    const values = items.map(value);
    const [lowest, highest] = [Math.min(0, ...values), Math.max(0, ...values)];
    const step = niceStep((highest - lowest) / (narrow() ? 3 : 6));
    const axisMin = Math.max(Math.floor(lowest / step) * step, revenue ? -100 : -Infinity);
    // Every bar gets the same height: enough for two neighbouring labels' lines to meet at most
    // ("number of production countries (not given)" takes four lines on a phone, and ran into
    // its neighbours' in the CSS height).
    const labels = items.map((c) => BO.wrap(c.feature, size));
    const fontSize = narrow() ? 10 : 12;
    const counts = labels.map((l) => [].concat(l).length);
    const pairs = counts.slice(1).map((n, i) => (n + counts[i]) / 2);
    const band = (Math.max(1, ...pairs) * 1.2 + 0.5) * fontSize; // a line is 1.2 font sizes
    const box = $("contributions-chart").parentElement;
    box.style.height = "";
    const needed = items.length * band + 70; // and the x axis below
    if (needed > box.clientHeight) box.style.height = `${Math.ceil(needed)}px`;
    BO.chart("contributions-chart", {
      type: "bar",
      data: {
        labels,
        datasets: [
          {
            label: axis,
            data: items.map(value),
            backgroundColor: items.map((c) => (c.feature === "other" ? COLORS.other : value(c) >= 0 ? COLORS.positive : COLORS.negative)),
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (entries) => items[entries[0].dataIndex].feature, label: (entry) => label(items[entry.dataIndex]) } },
        },
        scales: {
          // A factor's effect never reaches −100%: the axis spans the bars (nice ticks would
          // run it to −200% on a phone).
          x: {
            title: { display: !narrow(), text: axis },
            min: axisMin,
            max: Math.ceil(highest / step) * step,
            ticks: { stepSize: step, callback: (v) => `${v > 0 ? "+" : ""}${Number(v.toPrecision(6))}${revenue ? "%" : ""}` },
            // Ticks at the step's multiples only: an axis cut at −100% had Chart.js spread its
            // ticks from there (−100%, +433.333%, +966.667%).
            afterBuildTicks: (scale) => {
              const ticks = [];
              for (let v = Math.ceil(scale.min / step) * step; v <= scale.max + step * 1e-9; v += step) {
                ticks.push({ value: Number(v.toPrecision(12)) });
              }
              scale.ticks = ticks;
            },
          },
          y: { ticks: { autoSkip: false, font: { size: fontSize } } },
        },
      },
    });
    table(
      "contributions-table",
      ["Driver", revenue ? "Effect on revenue" : "Effect on P(hit)"],
      items.map((c) => [{ text: c.feature, className: "title" }, label(c)])
    );
    // The drivers named: not "other" (the rest together) nor the last, past forecasts' typical miss.
    const drivers = items.slice(0, -1).filter((c) => c.feature !== "other").length;
    $("contributions-note").textContent = revenue
      ? `Start from an average film's forecast, ${usd(Math.expm1(explanation.base))}: each driver multiplies it (×1.12 adds 12%), ` +
        `largest first (the ${drivers} largest; "other" is the rest together), and they end at the forecast, ${usd(Math.expm1(explanation.output))}. ` +
        `The last driver, past forecasts' typical miss, is how far such forecasts fell from what films went on to earn (their median), read from the same distribution as the range.`
      : `Start from P(hit) ${percent(explanation.base)}, an average film's (its forecast, and its budget, ${usd(explanation.reference_budget_usd)}): ` +
        `each driver of the revenue forecast, added in turn in the revenue chart's order (largest there first), moves it by the points shown; the budget's also moves the revenue a hit needs ` +
        `to this film's, so it says what the budget does to P(hit). They end at ${percent(explanation.output)}.`;
  }

  function renderComparables() {
    const answer = lastComparables;
    if (!answer) {
      $("comps-table").replaceChildren();
      $("comps-median").textContent = "–";
      return;
    }
    const reported = $("as-reported").checked;
    const year = answer.dollars_year;
    setFigure("comps-median", usd(answer.median_revenue_usd_in_dollars_year), answer.median_revenue_usd_in_dollars_year);
    $("comps-count").textContent = String(answer.films.length);
    $("comps-note").textContent =
      `In ${year} dollars, like the forecast.` +
      (answer.backtest_r2 === null || answer.backtest_r2 === undefined
        ? ""
        : ` As a forecast of later films, the median of ${answer.k} comps scored R² ${BO.F2.format(answer.backtest_r2)} (forward backtest).`);
    const budget = (f) => (reported ? f.budget_usd : f.budget_usd_in_dollars_year);
    const revenue = (f) => (reported ? f.revenue_usd : f.revenue_usd_in_dollars_year);
    const dollars = reported ? "" : ` (${year} $)`;
    table(
      "comps-table",
      ["Title", "Year", "Genres", "Budget" + dollars, "Revenue" + dollars, "Revenue / budget", "Hit", "Similarity"],
      answer.films.map((f) => [
        { text: f.title, className: "title" },
        String(f.release_year),
        { text: f.genres.join(", "), className: "genres" },
        usd(budget(f)),
        usd(revenue(f)),
        times(f.revenue_to_budget),
        { text: f.is_hit ? "Hit" : "No", className: f.is_hit ? "yes" : "no" },
        BO.F3.format(f.similarity),
      ]),
      { narrow: [2, 3, 7] }
    );
    $("comps-footnote").textContent =
      `The ${answer.films.length} films of the training data nearest to this one on what is known before release, most similar first ` +
      `(similarity 1 / (1 + distance)). Budgets and revenues ${reported ? "as reported, in each film's own year's dollars" : `in ${year} dollars (CPI-U), the forecast's`}; ` +
      `${answer.comparables_version}.`;
  }

  /** The round step (1, 2, 2.5 or 5 × a power of ten) at least ``raw``. */
  function niceStep(raw) {
    const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
    return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= raw);
  }

  // -- start ----------------------------------------------------------------------------------
  async function start() {
    settings = await BO.settings();
    readSettings();
    buildGenres();
    const form = $("film-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      forecast();
    });
    $("clear").addEventListener("click", () => {
      clearErrors();
      history.replaceState(null, "", location.pathname + location.search);
    });
    $("example").addEventListener("click", fillExample);
    for (const radio of document.querySelectorAll("input[name='explained']")) radio.addEventListener("change", renderContributions);
    $("as-reported").addEventListener("change", renderComparables);
    // Errors go once the field is edited.
    form.addEventListener("reset", stale.mark);
    form.addEventListener("input", (event) => {
      stale.mark();
      const field = event.target.closest("[aria-invalid='true']") || (event.target.name === "genres" && $("genres"));
      if (!field) return;
      field.removeAttribute("aria-invalid");
      const box = $(field.id + "-error");
      if (box) box.hidden = true;
    });
    for (const name of NUMBER_FIELDS) {
      BO.guardPaste($(name), (msg) => {
        $(name + "-error").textContent = ""; // the refused paste's reason, alone
        showFieldError(name, msg);
      });
    }
    BO.ready();
    fromLink();
    // Another forecast's link opened in this tab changes only the fragment: no page load.
    window.addEventListener("hashchange", fromLink);
  }

  /** The film a link's fragment gives, forecast (unless it is the one shown). */
  function fromLink() {
    const given = location.hash.slice(1);
    if (!given || given === shownLink) return;
    fillForm(Object.fromEntries(new URLSearchParams(given)));
    clearErrors();
    forecast();
  }

  start().catch((error) => {
    const box = $("general-error");
    box.textContent = "The page could not start: " + error;
    box.hidden = false;
  });
})();
