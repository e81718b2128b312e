// BullMQ's own flow against a server: jobs added (plain, delayed, prioritized, retried with
// backoff, a parent waiting on its children), processed by a worker, and their states checked.
// Usage: node flow.js PORT. Exits 0 when every check holds.
const { Queue, Worker, FlowProducer, QueueEvents } = require('bullmq');

const port = Number(process.argv[2]);
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const name = 'ringdis-flow-' + process.pid;

function check(cond, what) {
  if (!cond) {
    console.error('FAILED: ' + what);
    process.exit(1);
  }
  console.log('ok: ' + what);
}

async function main() {
  const timer = setTimeout(() => {
    console.error('FAILED: timed out');
    process.exit(1);
  }, 60000);
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  const attempts = {};
  const order = [];
  const worker = new Worker(
    name,
    async (job) => {
      attempts[job.name] = (attempts[job.name] || 0) + 1;
      order.push(job.name);
      if (job.name === 'flaky' && attempts[job.name] < 3) {
        throw new Error('try again');
      }
      if (job.name === 'doomed') throw new Error('boom');
      if (job.name === 'parent') {
        const children = await job.getChildrenValues();
        return Object.values(children).sort().join(',');
      }
      return job.data.x * 2;
    },
    { connection, concurrency: 1 },
  );
  const added = Date.now();
  const plain = await queue.add('plain', { x: 21 });
  const delayed = await queue.add('delayed', { x: 1 }, { delay: 300 });
  const flaky = await queue.add('flaky', { x: 5 }, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
  const doomed = await queue.add('doomed', { x: 0 }, { attempts: 1 });
  const bulk = await queue.addBulk([1, 2, 3].map((i) => ({ name: 'bulk', data: { x: i } })));
  const flow = await new FlowProducer({ connection }).add({
    name: 'parent',
    queueName: name,
    data: {},
    children: [
      { name: 'child', queueName: name, data: { x: 10 } },
      { name: 'child', queueName: name, data: { x: 20 } },
    ],
  });
  const done = (job) => job.waitUntilFinished(events, 30000);
  check((await done(plain)) === 42, 'a plain job completes with its result');
  check((await done(delayed)) === 2, 'a delayed job completes');
  const delayedJob = await queue.getJob(delayed.id);
  check(delayedJob.processedOn - added >= 300, 'the delayed job waited its delay');
  check((await done(flaky)) === 10, 'a failing job is retried until it succeeds');
  check(attempts.flaky === 3, 'it took three attempts');
  try {
    await done(doomed);
    check(false, 'a job that throws fails');
  } catch (e) {
    check(true, 'a job that throws fails');
  }
  for (const b of bulk) await done(b);
  check((await done(flow.job)) === '20,40', "a parent gets its children's results");
  const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active');
  check(counts.completed === 9 && counts.failed === 1, 'job counts: ' + JSON.stringify(counts));
  const failed = await queue.getFailed();
  check(failed.length === 1 && failed[0].failedReason === 'boom', 'the failed job keeps its reason');
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  clearTimeout(timer);
  console.log('BullMQ flow passed');
  process.exit(0);
}

main().catch((e) => {
  console.error('FAILED:', e);
  process.exit(1);
});
