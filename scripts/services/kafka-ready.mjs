/* global process, setTimeout, clearTimeout */
// Readiness over the Kafka protocol: a metadata round trip through an admin
// client, not a log line. Exit 0 when the broker answers, 1 otherwise.
//   node scripts/services/kafka-ready.mjs HOST:PORT [timeoutSeconds]
import { Kafka, logLevel } from 'kafkajs'

const [broker = '127.0.0.1:19092', timeoutArg = '5'] = process.argv.slice(2)
const timeoutMs = Number(timeoutArg) * 1000
const kafka = new Kafka({
  clientId: 'gs-services-ready',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: Math.min(timeoutMs, 3000),
  requestTimeout: timeoutMs,
  retry: { retries: 0 }
})
const admin = kafka.admin()
const timer = setTimeout(() => { process.exit(1) }, timeoutMs + 1000)
try {
  await admin.connect()
  const cluster = await admin.describeCluster()
  if (cluster.brokers.length === 0 || cluster.controller === null) throw new Error('no controller yet')
  await admin.listTopics()
  await admin.disconnect()
  clearTimeout(timer)
  process.exit(0)
} catch (error) {
  process.stderr.write(`kafka not ready: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}
