//! Real OTLP receivers inside a test: gRPC (tonic, the collector's `TraceService`) and
//! HTTP/protobuf (hyper), both collecting every span they are sent.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;

/// A span as received.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    /// Hex trace id.
    pub trace_id: String,
    /// Hex span id.
    pub span_id: String,
    /// Hex parent span id ("" for a root).
    pub parent_span_id: String,
    /// The span name.
    pub name: String,
    /// 2 server, 3 client.
    pub kind: i32,
    /// Attributes, as strings.
    pub attributes: BTreeMap<String, String>,
}

/// What a receiver has collected.
pub type Spans = Arc<Mutex<Vec<ReceivedSpan>>>;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn collect(request: ExportTraceServiceRequest, into: &Spans) {
    let mut spans = into.lock().unwrap();
    for resource in request.resource_spans {
        for scope in resource.scope_spans {
            for span in scope.spans {
                let attributes = span
                    .attributes
                    .iter()
                    .map(|kv| {
                        let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                            Some(Value::StringValue(s)) => s.clone(),
                            Some(Value::IntValue(i)) => i.to_string(),
                            Some(Value::BoolValue(b)) => b.to_string(),
                            Some(Value::DoubleValue(d)) => d.to_string(),
                            _ => String::new(),
                        };
                        (kv.key.clone(), value)
                    })
                    .collect();
                spans.push(ReceivedSpan {
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    name: span.name.clone(),
                    kind: span.kind,
                    attributes,
                });
            }
        }
    }
}

struct Grpc(Spans);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        collect(request.into_inner(), &self.0);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// An OTLP/gRPC receiver on a free loopback port.
pub async fn grpc() -> (SocketAddr, Spans) {
    let spans: Spans = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = TraceServiceServer::new(Grpc(spans.clone()));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (addr, spans)
}

async fn http_export(
    request: hyper::Request<Incoming>,
    spans: Spans,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let ok = request.method() == hyper::Method::POST && request.uri().path() == "/v1/traces";
    let body = request.into_body().collect().await.map(|b| b.to_bytes());
    let mut response = hyper::Response::new(Full::new(Bytes::from(
        ExportTraceServiceResponse::default().encode_to_vec(),
    )));
    match (
        ok,
        body.ok()
            .and_then(|b| ExportTraceServiceRequest::decode(b).ok()),
    ) {
        (true, Some(request)) => collect(request, &spans),
        _ => *response.status_mut() = hyper::StatusCode::BAD_REQUEST,
    }
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/x-protobuf"),
    );
    Ok(response)
}

/// An OTLP/HTTP (protobuf) receiver on a free loopback port, at `/v1/traces`.
pub async fn http() -> (SocketAddr, Spans) {
    let spans: Spans = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = spans.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let spans = shared.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |r| http_export(r, spans.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, spans)
}
