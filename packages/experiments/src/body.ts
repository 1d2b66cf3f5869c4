/** A response's body as the narration shows it: the parsed JSON when it is JSON, else the text as sent. */
export async function readBody(res: Response): Promise<unknown> {
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
