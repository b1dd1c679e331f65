/** Tailwind scans the Askama templates (and the Rust sources, for class names built
 * there) and emits only the classes they use into static/app.css. */
module.exports = {
  content: ["./templates/**/*.html", "./src/**/*.rs"],
  theme: {
    extend: {
      colors: {
        brand: { 50: "#eef2ff", 100: "#e0e7ff", 500: "#6366f1", 600: "#4f46e5", 700: "#4338ca", 900: "#312e81" },
      },
    },
  },
  plugins: [],
};
