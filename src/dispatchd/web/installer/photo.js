// Photos are made smaller on the phone before upload: a 12-megapixel camera shot becomes a
// ~300 KB JPEG, which matters on a mobile connection and is plenty for proof of work.

const MAX_SIDE = 1600;
const QUALITY = 0.82;

/** A downscaled JPEG of the chosen image, or the original file if the browser cannot decode it. */
export async function downscale(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return file; // e.g. HEIC on a browser without a decoder: the server converts it
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  bitmap.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  return blob && blob.size < file.size ? blob : blob || file;
}

/**
 * A multipart/form-data body with a boundary derived from the action's key, so a retry sends
 * byte-for-byte the same request.
 */
export function multipart(fields, photo, boundarySeed) {
  const boundary = `----dispatchd-${boundarySeed.replace(/[^A-Za-z0-9]/g, "")}`;
  const parts = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value == null || value === "") continue;
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  }
  const type = photo.type || "image/jpeg";
  const filename = type === "image/jpeg" ? "photo.jpg" : "photo";
  parts.push(
    `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="${filename}"\r\n` +
      `Content-Type: ${type}\r\n\r\n`,
    photo,
    `\r\n--${boundary}--\r\n`,
  );
  return { body: new Blob(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
