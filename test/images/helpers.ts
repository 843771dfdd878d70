// Images only the tests need: a decompression bomb and a corrupt JPEG. The
// server, rendered scenes and fixtures they share with the benchmark are in
// bench/support/images.ts.
import { deflateSync, crc32 } from 'node:zlib'

function pngChunk (type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body) >>> 0)
  return Buffer.concat([len, body, crc])
}

/**
 * A decompression bomb: a valid PNG header claiming width x height pixels
 * (grey, 8 bit) with a few hundred bytes of deflated zero rows behind it.
 */
export function pngBomb (width = 60_000, height = 60_000): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 0 // greyscale
  const rows = deflateSync(Buffer.alloc((width + 1) * 16), { level: 9 })
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', rows), pngChunk('IEND', Buffer.alloc(0))])
}

/** Starts like a JPEG, then noise: passes the magic-byte check, fails in the decoder. */
export function corruptJpeg (): Buffer {
  const noise = Buffer.alloc(4_000)
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0', 'ascii'), noise])
}
