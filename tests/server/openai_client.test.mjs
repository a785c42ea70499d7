// The official OpenAI client for Node against `longheads serve` (started by
// test_openai_client.py, which passes its address and the expected greedy texts).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import OpenAI from 'openai';

const baseURL = process.env.LONGHEADS_URL + '/v1';
const apiKey = process.env.LONGHEADS_API_KEY;
const model = process.env.LONGHEADS_MODEL;
const prompt = process.env.LONGHEADS_PROMPT;
const expected = process.env.LONGHEADS_EXPECTED;  // greedy 24 tokens, from the CLI
const chatSystem = process.env.LONGHEADS_CHAT_SYSTEM;
const chatExpected = process.env.LONGHEADS_CHAT_EXPECTED;  // `longheads chat`'s greedy 16 tokens
const busyURL = process.env.LONGHEADS_BUSY_URL + '/v1';  // one context, no queue
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60000 });

test('models.list names the served model', async () => {
  const page = await client.models.list();
  assert.deepEqual(page.data.map((m) => m.id), [model]);
  const one = await client.models.retrieve(model);
  assert.equal(one.id, model);
});

test('completions.create gives the CLI\'s greedy text and usage', async () => {
  const r = await client.completions.create({ model, prompt, max_tokens: 24, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices[0].text, expected);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 24);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 24);
});

test('a streamed completion gives the same text, then usage', async () => {
  const stream = await client.completions.create({
    model, prompt, max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.choices.length) {
      text += chunk.choices[0].text;
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, expected);
  assert.equal(finish, 'length');
  assert.equal(usage.completion_tokens, 24);
});

test('aborting a stream mid-way stops it and the server goes on', async () => {
  const stream = await client.completions.create(
    { model, prompt, max_tokens: 1000, ignore_eos: true, temperature: 0, stream: true });
  let chunks = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.choices[0].finish_reason, null);
    if (++chunks === 3) {
      stream.controller.abort();  // closes the connection (the Python side checks the server saw it)
      break;
    }
  }
  assert.equal(chunks, 3);
  const r = await client.completions.create({ model, prompt, max_tokens: 24, temperature: 0 });
  assert.equal(r.choices[0].text, expected);
});

test('errors arrive as the client\'s error classes with their statuses', async () => {
  const wrongKey = new OpenAI({ baseURL, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(wrongKey.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  await assert.rejects(client.completions.create({ model, prompt, max_tokens: 4, n: 2 }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /'n' must be 1/.test(e.message));
  await assert.rejects(client.completions.create({ model: 'gpt-4', prompt }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === 'model_not_found');
  await assert.rejects(client.completions.create({ model, prompt: 'word '.repeat(5000) }),
    (e) => e instanceof OpenAI.APIError && e.status === 413 && e.code === 'context_length_exceeded');
  // Extensions travel as extra body fields.
  await assert.rejects(client.completions.create({ model, prompt, attention: 'bogus' }),
    (e) => e instanceof OpenAI.BadRequestError && /attention/.test(e.message));
  const r = await client.completions.create({ model, prompt, max_tokens: 4, temperature: 0, attention: 'longheads' });
  assert.equal(r.choices[0].finish_reason, 'length');
});

test('chat.completions.create, whole and streamed', async () => {
  assert.ok(chatExpected, 'no expected chat reply to compare with');
  const messages = [{ role: 'system', content: chatSystem }, { role: 'user', content: prompt }];
  const r = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].message.content, chatExpected);
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0, stream: true });
  let text = '';
  let role = null;
  for await (const chunk of stream) {
    role = chunk.choices[0]?.delta?.role ?? role;
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.equal(role, 'assistant');
  assert.equal(text, chatExpected);
});

test('a server whose only context is busy answers 503, which the client retries', async () => {
  const busy = new OpenAI({ baseURL: busyURL, apiKey, maxRetries: 0, timeout: 60000 });
  const holder = await busy.completions.create(
    { model, prompt, max_tokens: 2000, ignore_eos: true, temperature: 0, stream: true });
  const it = holder[Symbol.asyncIterator]();
  assert.equal((await it.next()).done, false);  // the holder is generating
  await assert.rejects(busy.completions.create({ model, prompt, max_tokens: 2 }),
    (e) => e instanceof OpenAI.InternalServerError && e.status === 503 && e.code === 'server_busy');
  // With retries the client waits (Retry-After: 1) and gets its answer once the holder leaves.
  const patient = new OpenAI({ baseURL: busyURL, apiKey, maxRetries: 5, timeout: 60000 });
  const answer = patient.completions.create({ model, prompt, max_tokens: 24, temperature: 0 });
  holder.controller.abort();
  // Chunks the client had already parsed may still come out (more of them on a loaded machine);
  // then the stream must end, or fail with the abort.
  let ended = false, pulled = 0;
  while (!ended && pulled < 4000) {
    try {
      ended = (await it.next()).done;
    } catch (e) {
      assert.ok(e instanceof OpenAI.APIUserAbortError || e.name === 'AbortError', `stream failed with ${e}`);
      ended = true;
    }
    pulled += 1;
  }
  assert.equal(ended, true);
  assert.equal((await answer).choices[0].text, expected);
});
