// A server component (rendered at build time) with the recommendations in a client component.
import Recommended from './recommended';

export default function Page() {
  return (
    <main>
      <h1>Recommended for you</h1>
      <Recommended />
    </main>
  );
}
