// The browser script is imported as text (`with { type: 'text' }`): its default export is the source.
declare const source: string
export default source
