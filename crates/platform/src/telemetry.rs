//! Logs and traces.
//!
//! Logs are pretty in a terminal and JSON lines otherwise. Every request and event handler
//! runs in a span with an OpenTelemetry trace id, continued from an incoming W3C `traceparent`
//! (HTTP header or event envelope), so one trace follows a change across contexts. Spans are
//! exported over OTLP/HTTP only when `telemetry.otlp_endpoint` is set.

use std::io::IsTerminal;

use anyhow::Context as _;
use opentelemetry::{
    propagation::{Extractor, TextMapPropagator},
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider, Resource};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

use crate::config::{Config, LogFormat};

/// Flushes exported spans when dropped; keep it alive for the life of the process.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            eprintln!("trace export did not shut down cleanly: {error}");
        }
    }
}

/// Installs the global subscriber. Call once, before anything logs.
pub fn init(config: &Config) -> anyhow::Result<TelemetryGuard> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log.filter))
        .context("Invalid log.filter")?;
    let provider = tracer_provider(config)?;
    // Spans at `info` and above (requests, event handlers) carry trace ids; below that, a
    // `debug!` in a hot path would otherwise be enabled for every call just to become an
    // OpenTelemetry span event nobody asked for.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("campus"))
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    let json = match config.log.format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    // The filter applies to what is logged only: spans below the log level still carry trace
    // ids into events and out to OTLP.
    let fmt = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_filter(filter)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_filter(filter)
            .boxed()
    };
    tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init()
        .context("Failed to install the log subscriber")?;
    Ok(TelemetryGuard { provider })
}

/// For test binaries: trace ids on, logs only when `TEST_LOG` is set. Safe to call repeatedly.
pub fn init_for_tests() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let provider = SdkTracerProvider::builder().build();
        let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("campus-test"));
        let registry = tracing_subscriber::registry().with(otel);
        let installed = if std::env::var_os("TEST_LOG").is_some() {
            let filter = EnvFilter::new(std::env::var("TEST_LOG").unwrap_or_default());
            registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .compact()
                        .with_test_writer()
                        .with_filter(filter),
                )
                .try_init()
        } else {
            registry.try_init()
        };
        if installed.is_ok() {
            // Keep the provider for the life of the test binary.
            std::mem::forget(provider);
        }
    });
}

fn tracer_provider(config: &Config) -> anyhow::Result<SdkTracerProvider> {
    let resource = Resource::builder()
        .with_service_name(config.telemetry.service_name.clone())
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &config.telemetry.otlp_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(format!(
                "{}/v1/traces",
                endpoint.expose().trim_end_matches('/')
            ))
            .build()
            .context("Invalid telemetry.otlp_endpoint")?;
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}

/// The current span's W3C trace context, `00-<trace id>-<span id>-<flags>`.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let ids = span.span_context();
    ids.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            ids.trace_id(),
            ids.span_id(),
            ids.trace_flags().to_u8()
        )
    })
}

/// Makes `span` a child of the remote span described by `traceparent`, when it is well formed.
pub fn continue_trace(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(traceparent) = traceparent else {
        return;
    };
    let parent = TraceContextPropagator::new().extract(&Traceparent(traceparent));
    if parent.span().span_context().is_valid() {
        span.set_parent(parent);
    }
}

struct Traceparent<'a>(&'a str);

impl Extractor for Traceparent<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent").then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}
