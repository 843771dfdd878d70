/* global ResizeObserver */
// Box labels on a post's image: each label stays inside the image, and a label
// that would cover one placed before it moves down by its height.

/**
 * Places labels (`items`: each box's x, y, w, h and its label's lw, lh, in
 * pixels of the image, `width` × `height`), in order. A label sits on top of
 * its box, left-aligned; at the image's top edge it goes inside the box; it is
 * clamped to the image; then, while it overlaps a label already placed, it
 * moves down a label height (or, at the bottom, up). Returns each label's x, y.
 */
export function placeLabels (items, width, height) {
  const placed = []
  const overlaps = (a) => placed.some((b) => a.x < b.x + b.lw && b.x < a.x + a.lw && a.y < b.y + b.lh && b.y < a.y + a.lh)
  const clamp = (value, low, high) => Math.max(low, Math.min(value, high))
  for (const item of items) {
    const x = clamp(item.x, 0, Math.max(0, width - item.lw))
    const maxY = Math.max(0, height - item.lh)
    let y = item.y - item.lh >= 0 ? item.y - item.lh : item.y
    y = clamp(y, 0, maxY)
    const label = { x, y, lw: item.lw, lh: item.lh }
    let direction = 1
    for (let tries = 0; overlaps(label) && tries < 2 * items.length + 2; tries += 1) {
      const next = label.y + direction * item.lh
      if (next > maxY) {
        direction = -1
        label.y = clamp(y - item.lh, 0, maxY)
      } else if (next < 0) {
        break
      } else {
        label.y = next
      }
    }
    placed.push(label)
  }
  return placed.map(({ x, y }) => ({ x, y }))
}

/** Lays out the labels of `figure` (a .figure with its img and .box children), now and whenever it resizes. */
export function keepLabelsInside (figure) {
  const layout = () => {
    const image = figure.querySelector('img')
    const frame = image.getBoundingClientRect()
    if (frame.width === 0 || frame.height === 0) return
    const boxes = [...figure.querySelectorAll('.box')]
    // A label longer than the image is cut (with an ellipsis) to the image's width.
    for (const box of boxes) box.querySelector('.label').style.maxWidth = `${frame.width}px`
    const items = boxes.map((box) => {
      const rect = box.getBoundingClientRect()
      const label = box.querySelector('.label')
      return { x: rect.left - frame.left, y: rect.top - frame.top, w: rect.width, h: rect.height, lw: label.offsetWidth, lh: label.offsetHeight }
    })
    placeLabels(items, frame.width, frame.height).forEach((at, i) => {
      const box = boxes[i]
      const label = box.querySelector('.label')
      // The label is positioned in its box's padding box, inside the border.
      label.style.left = `${at.x - items[i].x - box.clientLeft}px`
      label.style.top = `${at.y - items[i].y - box.clientTop}px`
    })
  }
  new ResizeObserver(layout).observe(figure)
  figure.querySelector('img').addEventListener('load', layout)
}
