// Stylesheets are imported as text (`with { type: 'text' }`) and embedded in the executable.
declare module '*.css' {
  const source: string
  export default source
}
