// Compares the converted ONNX detector with the original TFJS graph model run by
// TFJS itself (pure-JS CPU backend) on the same inputs; prints max abs diffs.
// TFJS is not a project dependency: install it anywhere and point at it, e.g.
//   (cd /tmp/v && npm i @tensorflow/tfjs@4.22.0 @vladmandic/human@3.3.6)
//   TFJS_DIR=/tmp/v node training/verify_detector_tfjs.mjs test/fixtures/images
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'

const tfjsDir = process.env.TFJS_DIR
if (!tfjsDir) throw new Error('set TFJS_DIR to a folder whose node_modules has @tensorflow/tfjs and @vladmandic/human')
const fromTfjs = createRequire(path.join(path.resolve(tfjsDir), 'package.json'))
const fromHere = createRequire(import.meta.url)
const tf = fromTfjs('@tensorflow/tfjs')
const ort = fromHere('onnxruntime-node')
const sharp = fromHere('sharp')

const modelJson = path.join(path.resolve(tfjsDir), 'node_modules', '@vladmandic', 'human', 'models', 'centernet.json')
const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'))
const weightsBuf = Buffer.concat(json.weightsManifest[0].paths.map((p) => fs.readFileSync(path.join(path.dirname(modelJson), p))))
await tf.setBackend('cpu')
const model = await tf.loadGraphModel({
  load: async () => ({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: weightsBuf.buffer.slice(weightsBuf.byteOffset, weightsBuf.byteOffset + weightsBuf.byteLength)
  })
})
const session = await ort.InferenceSession.create('models/detector/centernet.onnx')
const folder = process.argv[2] ?? 'test/fixtures/images'
const names = fs.readdirSync(folder).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort()
const outputs = ['tower_0/detections', 'tower_0/keypoints', 'tower_0/wh']
const max = Object.fromEntries(outputs.map((o) => [o, 0]))
// The ONNX file holds the heads only; its detections are decoded by the
// server's own decoder (build first: npx tsc -p tsconfig.json).
const { decodeCenterNet } = await import(new URL('../dist/src/images/centernet.js', import.meta.url).href)
for (const name of names) {
  const { data } = await sharp(path.join(folder, name)).removeAlpha().resize(512, 512, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true })
  const input = Float32Array.from(data)
  const ref = model.execute(tf.tensor4d(input, [1, 512, 512, 3]), outputs)
  const got = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 512, 512, 3]) })
  const kp = got['tower_0/keypoints:0']
  const decoded = decodeCenterNet(kp.data, got['tower_0/wh:0'].data, 0, { grid: kp.dims[1], classes: kp.dims[3], stride: 4 }, 0, 100)
  const decodedRows = new Float32Array(600)
  decoded.forEach((d, row) => decodedRows.set([d.x1, d.y1, d.x2, d.y2, d.score, d.cls], row * 6))
  for (let i = 0; i < outputs.length; i++) {
    const r = ref[i].dataSync()
    const o = outputs[i] === 'tower_0/detections' ? decodedRows : got[outputs[i] + ':0'].data
    let m = 0
    if (outputs[i] === 'tower_0/detections') {
      // Compare the confident rows only (ties between near-equal peaks can swap order).
      for (let row = 0; row < 100; row++) {
        if (r[row * 6 + 4] < 0.05) continue
        for (let c = 0; c < 6; c++) m = Math.max(m, Math.abs(r[row * 6 + c] - o[row * 6 + c]))
      }
    } else {
      for (let j = 0; j < r.length; j++) m = Math.max(m, Math.abs(r[j] - o[j]))
    }
    max[outputs[i]] = Math.max(max[outputs[i]], m)
  }
  console.error(`${name}: done`)
}
console.log(JSON.stringify({ images: names.length, tfjs_vs_onnx_max_abs_diff: max, detections: 'TFJS graph decoding vs ONNX heads + src/images/centernet.ts', tfjs: tf.version.tfjs }))
