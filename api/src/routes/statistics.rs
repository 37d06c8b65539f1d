//! Aggregated statistics for analysts (purpose `statistics`): JSON, CSV or an SVG chart of one
//! series. Counts only; small cells suppressed (see docs/statistics.md).

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::statistics::{Cell, Dimension, Figure, Month, Query, Series};
use domain::usecase::kernel::Failure;
use domain::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::blocking;
use crate::charts;
use crate::extract::Params;
use crate::problem::{Problem, invalid};
use crate::purpose::Stated;
use crate::state::AppState;

/// Quartiles of the hours of a time figure: from report to location (`time_to_location`), or
/// from the absence found at a roll call to the report (`absence_to_report`).
#[derive(Debug, Serialize, ToSchema)]
pub struct QuartilesBody {
    pub q1_hours: f64,
    pub median_hours: f64,
    pub q3_hours: f64,
}

/// One published number. A suppressed cell has `count: null` and `suppressed: true`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellBody {
    pub count: Option<u64>,
    pub suppressed: bool,
    /// Time figures only (`time_to_location`, `absence_to_report`): the quartiles, `null` when
    /// withheld (the group is suppressed, or smaller than twice the threshold).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<QuartilesBody>)]
    pub quartiles: Option<Option<QuartilesBody>>,
}

impl CellBody {
    fn new(figure: Figure, c: &Cell) -> Self {
        Self {
            count: c.count,
            suppressed: c.suppressed(),
            quartiles: figure.timed().then(|| {
                c.quartiles.map(|q| QuartilesBody {
                    q1_hours: q.q1_hours,
                    median_hours: q.median_hours,
                    q3_hours: q.q3_hours,
                })
            }),
        }
    }
}

/// A cell of the split within a row.
#[derive(Debug, Serialize, ToSchema)]
pub struct SplitBody {
    pub key: String,
    #[serde(flatten)]
    pub cell: CellBody,
}

/// One value of `by`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowBody {
    /// The value: a month `YYYY-MM`, an age band, a sex, a nationality (ISO 3166 alpha-2), ...
    pub key: String,
    #[serde(flatten)]
    pub cell: CellBody,
    /// With `split`: one cell per value of the split dimension.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub split: Vec<SplitBody>,
}

/// A series: a figure over a period, its total, and one row per value of `by`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesBody {
    pub figure: String,
    pub by: Option<String>,
    pub split: Option<String>,
    /// First month of the period, `YYYY-MM`.
    pub from: String,
    /// Last month of the period, `YYYY-MM`, included.
    pub to: String,
    /// Counts below this are suppressed.
    pub threshold: u64,
    pub total: CellBody,
    pub rows: Vec<RowBody>,
}

impl From<&Series> for SeriesBody {
    fn from(s: &Series) -> Self {
        let f = s.figure;
        Self {
            figure: f.to_string(),
            by: s.by.map(|d| d.to_string()),
            split: s.split.map(|d| d.to_string()),
            from: s.from.to_string(),
            to: s.to.to_string(),
            threshold: s.threshold,
            total: CellBody::new(f, &s.total),
            rows: s
                .rows
                .iter()
                .map(|r| RowBody {
                    key: r.key.clone(),
                    cell: CellBody::new(f, &r.cell),
                    split: r
                        .split
                        .iter()
                        .map(|(k, c)| SplitBody {
                            key: k.clone(),
                            cell: CellBody::new(f, c),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The parameters of a series.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    /// One row per value of: month, age_band, sex, nationality, placement, risk_level, outcome
    /// and episode (disappearances only). Absent: the total alone.
    pub by: Option<String>,
    /// With `by=month`: one cell per month and value of this dimension.
    pub split: Option<String>,
    /// First month, `YYYY-MM` (default: the first month with data).
    pub from: Option<String>,
    /// Last month, `YYYY-MM`, included (default: the current month).
    pub to: Option<String>,
    /// `json` (default), `csv` or `svg`; otherwise chosen by `Accept`.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Svg,
}

impl SeriesQuery {
    fn parse(self, figure: &str, headers: &HeaderMap) -> (Result<Query, FieldErrors>, Format) {
        let mut errors = FieldErrors::default();
        let figure = errors.check("figure", figure.parse::<Figure>());
        let dim = |e: &mut FieldErrors, name: &str, v: Option<String>| {
            v.and_then(|v| e.check(name, v.parse::<Dimension>()))
        };
        let month = |e: &mut FieldErrors, name: &str, v: Option<String>| {
            v.and_then(|v| e.check(name, v.parse::<Month>()))
        };
        let by = dim(&mut errors, "by", self.by);
        let split = dim(&mut errors, "split", self.split);
        let from = month(&mut errors, "from", self.from);
        let to = month(&mut errors, "to", self.to);
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let format = match self.format.as_deref() {
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some("svg") => Format::Svg,
            Some(other) => {
                errors.push("format", format!("`{other}` is not one of json, csv, svg"));
                Format::Json
            }
            None if accept.contains("text/csv") => Format::Csv,
            None if accept.contains("image/svg+xml") => Format::Svg,
            None => Format::Json,
        };
        let query = match figure {
            Some(figure) if errors.is_empty() => Ok(Query {
                figure,
                by,
                split,
                from,
                to,
            }),
            _ => Err(errors),
        };
        (query, format)
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The series as CSV: one line per published number (the total, each row, each split cell).
pub fn csv(s: &Series) -> String {
    let mut out = String::from(
        "figure,from,to,by,key,split,split_key,count,suppressed,q1_hours,median_hours,q3_hours\n",
    );
    let by = s.by.map(|d| d.to_string()).unwrap_or_default();
    let split = s.split.map(|d| d.to_string()).unwrap_or_default();
    let mut line = |key: &str, split: &str, split_key: &str, c: &Cell| {
        let q = |f: fn(&domain::statistics::Quartiles) -> f64| {
            c.quartiles
                .as_ref()
                .map(|q| f(q).to_string())
                .unwrap_or_default()
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            s.figure,
            s.from,
            s.to,
            by,
            csv_field(key),
            split,
            csv_field(split_key),
            c.count.map(|n| n.to_string()).unwrap_or_default(),
            c.suppressed(),
            q(|q| q.q1_hours),
            q(|q| q.median_hours),
            q(|q| q.q3_hours),
        ));
    };
    line("total", "", "", &s.total);
    for r in &s.rows {
        line(&r.key, "", "", &r.cell);
        for (k, c) in &r.split {
            line(&r.key, &split, k, c);
        }
    }
    out
}

/// A series of aggregated figures, for analysts only (role `analyst`, purpose `statistics`);
/// every request is audited. Figures: registrations, disappearances, located, still_missing,
/// deceased, repeat_disappearances, time_to_location, absence_to_report. Cells below the
/// configured threshold, and cells that would reveal them, are suppressed (`count: null,
/// suppressed: true`). JSON by default, CSV with `format=csv` or `Accept: text/csv`, an SVG chart
/// with `format=svg` or `Accept: image/svg+xml`.
#[utoipa::path(
    get,
    operation_id = "statistics_series",
    path = "/v1/statistics/{figure}",
    tag = "statistics",
    params(
        ("figure" = String, Path, description = "registrations, disappearances, located, still_missing, deceased, repeat_disappearances, time_to_location or absence_to_report"),
        SeriesQuery,
        ("X-Purpose" = String, Header, description = "statistics"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SeriesBody, description = "The series (also text/csv or image/svg+xml)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn series(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    figure: web::Path<String>,
    query: Params<SeriesQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let (query, format) = query.into_inner().parse(&figure, req.headers());
    let series =
        blocking::run(move || state.statistics.series(&caller.request(purpose), query)).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    Ok(match format {
        Format::Json => res.json(SeriesBody::from(&series)),
        Format::Csv => res
            .content_type("text/csv; charset=utf-8")
            .body(csv(&series)),
        Format::Svg => {
            let svg = charts::svg(&series).map_err(|e| Problem::from(Failure::Unknown(e)))?;
            res.content_type("image/svg+xml").body(svg)
        }
    })
}

/// The SVG chart of a series: as `GET /v1/statistics/{figure}?format=svg`.
#[utoipa::path(
    get,
    operation_id = "statistics_chart",
    path = "/v1/statistics/{figure}/chart.svg",
    tag = "statistics",
    params(
        ("figure" = String, Path),
        SeriesQuery,
        ("X-Purpose" = String, Header, description = "statistics"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn chart(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    figure: web::Path<String>,
    query: Params<SeriesQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let mut query = query.into_inner();
    if let Some(other) = query.format.as_deref().filter(|f| *f != "svg") {
        let mut errors = FieldErrors::default();
        errors.push(
            "format",
            format!(
                "`{other}`: chart.svg answers SVG only; ask `/v1/statistics/{figure}?format={other}` for the series in another format"
            ),
        );
        return Err(invalid(&errors));
    }
    query.format = Some("svg".into());
    series(state, caller, purpose, figure, Params(query), req).await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/statistics/{figure}").route(web::get().to(series)))
        .service(web::resource("/v1/statistics/{figure}/chart.svg").route(web::get().to(chart)));
}
