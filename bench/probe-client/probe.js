#!/usr/bin/env node
// A manual probe of Braid's front door with a client Braid was not written against: grpc-js with
// the repository's grpc_service.proto, calling every RPC the way Triton's tritonclient does.
// Not part of `mvn verify`. Usage (against `./braid serve`, the zoo's mlp loaded):
//   cd bench/probe-client && npm install && node probe.js [HOST:PORT] [HTTP_HOST:PORT]
// Prints one line per check (PASS/FAIL, what, what came back) and exits 1 when any failed.
'use strict';
const path = require('path');
const http = require('http');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const PROTO = path.join(__dirname, '../../protocol/src/main/proto/grpc_service.proto');
const TARGET = process.argv[2] || 'localhost:8001';
const HTTP_TARGET = process.argv[3] || 'localhost:8000';
const pkg = grpc.loadPackageDefinition(loader.loadSync(PROTO,
  {keepCase: true, longs: String, enums: String, defaults: true, oneofs: true})).inference;
const client = (opts) => new pkg.GRPCInferenceService(TARGET, grpc.credentials.createInsecure(), opts || {});

function call(c, method, request, metadata, options) {
  return new Promise((resolve) => c[method](request, metadata || new grpc.Metadata(), options || {},
    (err, r) => resolve(err ? {code: grpc.status[err.code], details: err.details} : {code: 'OK', r})));
}

let failed = 0;
function check(what, ok, seen) {
  if (!ok) failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}  ${JSON.stringify(seen).slice(0, 220)}`);
}

const le = (a) => { const b = Buffer.alloc(a.length * 4); a.forEach((v, i) => b.writeFloatLE(v, i * 4)); return b; };
const floats = (b) => Array.from({length: b.length / 4}, (_, i) => b.readFloatLE(i * 4));
const strings = (b) => { const o = []; for (let p = 0; p < b.length; p += 4 + b.readUInt32LE(p)) o.push(b.slice(p + 4, p + 4 + b.readUInt32LE(p)).toString()); return o; };
const x = Float32Array.from({length: 784}, (_, i) => Math.sin(i * 0.37) * 0.5);
const infer = (extra) => ({model_name: 'mlp', id: 'probe', inputs: [{name: 'input', datatype: 'FP32', shape: [1, 784]}],
  raw_input_contents: [le(x)], ...(extra || {})});
const param = (k, v) => ({[k]: v});

function stream(c, requests, options) {
  return new Promise((resolve) => {
    const s = c.ModelStreamInfer(new grpc.Metadata(), options || {});
    const got = [];
    s.on('data', (m) => got.push({id: m.infer_response ? m.infer_response.id : '', error: m.error_message}));
    s.on('error', () => {});
    s.on('status', (st) => resolve({code: grpc.status[st.code], got}));
    requests.forEach((r) => s.write(r));
    s.end();
  });
}

function httpGet(p, method) {
  const [host, port] = HTTP_TARGET.split(':');
  return new Promise((resolve) => {
    const req = http.request({host, port, path: p, method: method || 'GET'}, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({status: res.statusCode, allow: res.headers.allow, body}));
    });
    req.on('error', (e) => resolve({status: 0, body: String(e)}));
    req.end();
  });
}

(async () => {
  const c = client();
  let r;
  r = await call(c, 'ServerLive', {}); check('ServerLive', r.r && r.r.live === true, r);
  r = await call(c, 'ServerReady', {}); check('ServerReady', r.r && r.r.ready === true, r);
  r = await call(c, 'ServerMetadata', {}); check('ServerMetadata names the server', r.r && r.r.name === 'braid', r);
  r = await call(c, 'ModelReady', {name: 'mlp'}); check('ModelReady mlp', r.r && r.r.ready, r);
  r = await call(c, 'ModelReady', {name: 'nope'}); check('ModelReady unknown: false', r.r && r.r.ready === false, r);
  r = await call(c, 'ModelMetadata', {name: 'mlp'});
  check('ModelMetadata: FP32, shape [-1,784]', r.r && r.r.inputs[0].datatype === 'FP32'
    && r.r.inputs[0].shape.join() === '-1,784', r.r && r.r.inputs);
  r = await call(c, 'ModelConfig', {name: 'mlp'}); // bytes of Triton's ModelConfig (model_config.proto)
  check('ModelConfig mlp: a ModelConfig naming mlp', r.r && r.r.config.slice(2, 5).toString() === 'mlp', r.code);
  r = await call(c, 'ModelMetadata', {name: 'nope'}); check('ModelMetadata unknown: NOT_FOUND', r.code === 'NOT_FOUND', r);
  r = await call(c, 'RepositoryIndex', {ready: true}); check('RepositoryIndex lists mlp READY',
    r.r && r.r.models.some((m) => m.name === 'mlp' && m.state === 'READY'), r.r && r.r.models.map((m) => m.name));

  const raw = await call(c, 'ModelInfer', infer({id: 'raw-1'}));
  const logits = raw.r ? floats(raw.r.raw_output_contents[0]) : [];
  check('ModelInfer raw_input_contents: [1,10] in raw_output_contents, id echoed', raw.r && raw.r.id === 'raw-1'
    && raw.r.outputs[0].shape.join() === '1,10' && logits.length === 10, logits.map((v) => v.toFixed(5)));
  r = await call(c, 'ModelInfer', {model_name: 'mlp', inputs: [{name: 'input', datatype: 'FP32', shape: [1, 784],
    contents: {fp32_contents: Array.from(x)}}]});
  check('ModelInfer typed fp32_contents = raw', r.r && floats(r.r.raw_output_contents[0]).join() === logits.join(), r.code);
  r = await call(c, 'ModelInfer', infer({parameters: param('braid.typed_outputs', {bool_param: true})}));
  check('typed outputs (braid.typed_outputs)', r.r && r.r.outputs[0].contents.fp32_contents.length === 10, r.code);
  r = await call(c, 'ModelInfer', infer({outputs: [{name: 'logits'}]})); check('requested output by name', r.code === 'OK', r.code);
  r = await call(c, 'ModelInfer', infer({outputs: [{name: 'logits', parameters: param('classification', {int64_param: 3})}]}));
  const top = logits.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([v, i]) => `${v.toFixed(6)}:${i}`);
  check('classification 3 (tritonclient class_count): BYTES [1,3] value:index', r.r && r.r.outputs[0].datatype === 'BYTES'
    && strings(r.r.raw_output_contents[0]).join() === top.join(), r.r ? strings(r.r.raw_output_contents[0]) : r);
  for (const [k, v] of [['timeout', {int64_param: 5000000}], ['priority', {uint64_param: 1}], ['priority', {int64_param: 2}],
      ['braid.tenant', {string_param: 'probe'}], ['sequence_id', {int64_param: 0}]]) {
    r = await call(c, 'ModelInfer', infer({parameters: param(k, v)})); check(`parameter ${k}=${JSON.stringify(v)}`, r.code === 'OK', r.code);
  }
  r = await call(c, 'ModelInfer', infer({parameters: param('priority', {string_param: 'x'})}));
  check('parameter priority as a string: INVALID_ARGUMENT', r.code === 'INVALID_ARGUMENT', r);
  r = await call(c, 'ModelInfer', infer({model_name: 'nope'})); check('unknown model: NOT_FOUND', r.code === 'NOT_FOUND', r);
  r = await call(c, 'ModelInfer', infer({inputs: [{name: 'input', datatype: 'FP64', shape: [1, 784]}], raw_input_contents: [Buffer.alloc(6272)]}));
  check('wrong datatype: INVALID_ARGUMENT', r.code === 'INVALID_ARGUMENT', r);
  r = await call(c, 'ModelInfer', infer({inputs: [{name: 'input', datatype: 'FP32', shape: [1, 783]}], raw_input_contents: [Buffer.alloc(3132)]}));
  check('wrong shape: INVALID_ARGUMENT', r.code === 'INVALID_ARGUMENT', r);
  r = await call(c, 'ModelInfer', infer({outputs: [{name: 'logits', parameters: param('shared_memory_region', {string_param: 'r'})}]}));
  check('shared memory output: INVALID_ARGUMENT', r.code === 'INVALID_ARGUMENT', r);

  const s = await stream(c, [infer({id: 's0'}), infer({id: 's1', model_name: 'nope'}), infer({id: 's2'})]);
  check('ModelStreamInfer: 3 answers matched by id, the bad one as error_message', s.code === 'OK' && s.got.length === 3
    && s.got.find((g) => g.id === 's1').error.startsWith('NOT_FOUND') && s.got.filter((g) => !g.error).length === 2, s);

  for (const [name, alg] of [['gzip', 2], ['deflate', 1]]) {
    r = await call(client({'grpc.default_compression_algorithm': alg}), 'ModelInfer', infer());
    check(`${name}-compressed request`, r.r && floats(r.r.raw_output_contents[0]).join() === logits.join(), r.code);
  }
  r = await call(c, 'ModelInfer', infer(), null, {deadline: new Date(Date.now() + 1)});
  check('1 ms grpc-timeout: DEADLINE_EXCEEDED', r.code === 'DEADLINE_EXCEEDED', r);
  const auth = new grpc.Metadata();
  auth.set('authorization', 'Bearer not-a-token');
  r = await call(c, 'ModelInfer', infer(), auth); check('authorization header ignored when auth is off', r.code === 'OK', r.code);
  // perf_analyzer reads these before and after each window; it requires equal compute counts.
  r = await call(c, 'ModelStatistics', {name: 'mlp'});
  const st = r.r && r.r.model_stats[0];
  check('ModelStatistics mlp: successes counted, compute counts equal', st && st.name === 'mlp'
    && Number(st.inference_stats.success.count) > 0 && Number(st.execution_count) > 0
    && st.inference_stats.compute_input.count === st.inference_stats.compute_infer.count
    && st.inference_stats.compute_output.count === st.inference_stats.compute_infer.count, st || r);
  r = await call(c, 'ModelStatistics', {name: 'nope'}); check('ModelStatistics unknown: NOT_FOUND', r.code === 'NOT_FOUND', r);
  r = await call(c, 'ServerLive', {}); check('still live after all', r.r && r.r.live, r);

  let h = await httpGet('/v2/health/live'); check('HTTP GET /v2/health/live', h.status === 200, h);
  h = await httpGet('/v2/health/ready'); check('HTTP GET /v2/health/ready', h.status === 200, h);
  h = await httpGet('/v2/health/live', 'POST'); check('HTTP POST: 405 with Allow', h.status === 405 && h.allow === 'GET, HEAD', h);
  console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
  process.exit(failed ? 1 : 0);
})();
