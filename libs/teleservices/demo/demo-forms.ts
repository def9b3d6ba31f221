/**
 * Forms of the demo catalogue (French, realistic). Plain JSON in the libs/forms format, validated by the
 * definition validation service in demo-catalogue.int-spec.ts.
 */

const MO = 1024 * 1024;

const contactFields = (required: boolean) => [
  { id: 'prenom', type: 'text', label: 'Prénom', required, maxLength: 100, prefill: { from: 'profile', attribute: 'given_name', lockedWhenCertified: true }, personalData: true, inListings: true },
  { id: 'nom', type: 'text', label: 'Nom', required, maxLength: 100, prefill: { from: 'profile', attribute: 'family_name', lockedWhenCertified: true }, personalData: true, inListings: true },
  { id: 'email', type: 'email', label: 'Courriel', required, hint: 'Pour vous tenir informé du traitement de votre demande.', prefill: { from: 'profile', attribute: 'email' }, personalData: true },
  { id: 'telephone', type: 'text', format: 'phone_fr', label: 'Téléphone', hint: 'Facultatif : pour vous joindre rapidement.', prefill: { from: 'profile', attribute: 'phone' }, personalData: true },
];

export const ANOMALY_FORM = {
  schemaVersion: 1,
  title: 'Signaler une anomalie sur l’espace public',
  summaryTemplate: '{{ field.categorie }} — {{ field.description }}',
  pages: [
    {
      id: 'anomalie',
      title: 'L’anomalie',
      fields: [
        { id: 'intro', type: 'comment', label: 'Votre signalement est transmis à la commune compétente pour le lieu indiqué. En cas de danger immédiat, appelez le 112.' },
        {
          id: 'categorie',
          type: 'choice',
          label: 'Type d’anomalie',
          required: true,
          display: 'radio',
          inListings: true,
          options: [
            { value: 'voirie', label: 'Voirie (nid-de-poule, trottoir abîmé)' },
            { value: 'eclairage', label: 'Éclairage public en panne' },
            { value: 'proprete', label: 'Propreté (dépôt sauvage, tags)' },
            { value: 'mobilier', label: 'Mobilier urbain dégradé' },
            { value: 'vegetation', label: 'Arbre ou végétation gênante' },
            { value: 'autre', label: 'Autre' },
          ],
        },
        { id: 'precision', type: 'text', label: 'Précisez le type d’anomalie', required: true, maxLength: 150, condition: "field.categorie = 'autre'" },
        { id: 'lieu', type: 'map_point', label: 'Emplacement de l’anomalie', hint: 'Placez le repère sur la carte au plus près de l’anomalie.', required: true, bounds: { south: 45.55, west: 4.65, north: 45.95, east: 5.1 } },
        { id: 'repere', type: 'text', label: 'Repère (numéro de rue, commerce proche…)', maxLength: 200 },
        { id: 'description', type: 'long_text', label: 'Description', required: true, minLength: 10, maxLength: 2000, hint: 'Décrivez ce que vous avez constaté.' },
        { id: 'danger', type: 'yes_no', label: 'L’anomalie présente-t-elle un danger pour les usagers ?', required: true },
        { id: 'photo', type: 'file', label: 'Photo', hint: 'Jusqu’à 3 photos, 5 Mo chacune (JPEG, PNG ou WebP).', accept: ['image/jpeg', 'image/png', 'image/webp'], maxSizeBytes: 5 * MO, maxFiles: 3 },
      ],
    },
    {
      id: 'contact',
      title: 'Vos coordonnées (facultatives)',
      fields: [
        { id: 'contact_info', type: 'comment', label: 'Laissez vos coordonnées si vous souhaitez être informé du traitement de votre signalement.' },
        ...contactFields(false),
      ],
    },
  ],
};

export const CIVIL_STATUS_FORM = {
  schemaVersion: 1,
  title: 'Demande d’acte d’état civil',
  summaryTemplate: 'Acte de {{ field.type_acte }} — {{ field.nom_acte }}',
  pages: [
    {
      id: 'acte',
      title: 'L’acte demandé',
      fields: [
        {
          id: 'type_acte',
          type: 'choice',
          label: 'Type d’acte',
          required: true,
          display: 'radio',
          inListings: true,
          options: [
            { value: 'naissance', label: 'Acte de naissance' },
            { value: 'mariage', label: 'Acte de mariage' },
            { value: 'deces', label: 'Acte de décès' },
          ],
        },
        {
          id: 'format_acte',
          type: 'choice',
          label: 'Forme de l’acte',
          required: true,
          display: 'list',
          options: [
            { value: 'integrale', label: 'Copie intégrale' },
            { value: 'extrait_filiation', label: 'Extrait avec filiation' },
            { value: 'extrait_sans_filiation', label: 'Extrait sans filiation' },
            { value: 'plurilingue', label: 'Extrait plurilingue' },
          ],
        },
        { id: 'qualite', type: 'choice', label: 'Vous êtes', required: true, display: 'list', options: [
          { value: 'titulaire', label: 'La personne concernée' },
          { value: 'parent', label: 'Son père ou sa mère' },
          { value: 'conjoint', label: 'Son conjoint' },
          { value: 'enfant', label: 'Son enfant' },
          { value: 'autre', label: 'Autre (notaire, avocat…)' },
        ] },
        { id: 'avertissement_filiation', type: 'comment', label: 'La copie intégrale et l’extrait avec filiation ne sont délivrés qu’à la personne concernée, ses ascendants, descendants, conjoint ou représentant légal.', condition: "field.format_acte in ['integrale', 'extrait_filiation']" },
        { id: 'nom_acte', type: 'text', label: 'Nom de la personne concernée par l’acte', required: true, maxLength: 100, personalData: true, inListings: true },
        { id: 'prenoms_acte', type: 'text', label: 'Prénoms', required: true, maxLength: 150, personalData: true },
        { id: 'date_naissance', type: 'date', label: 'Date de naissance', required: true, past: true, min: '1900-01-01', condition: "field.type_acte = 'naissance'" },
        { id: 'pere', type: 'text', label: 'Nom et prénoms du père', maxLength: 200, personalData: true, condition: "field.type_acte = 'naissance' and field.format_acte in ['integrale', 'extrait_filiation']" },
        { id: 'mere', type: 'text', label: 'Nom de naissance et prénoms de la mère', maxLength: 200, personalData: true, condition: "field.type_acte = 'naissance' and field.format_acte in ['integrale', 'extrait_filiation']" },
        { id: 'date_mariage', type: 'date', label: 'Date du mariage', required: true, past: true, min: '1900-01-01', condition: "field.type_acte = 'mariage'" },
        { id: 'conjoint', type: 'text', label: 'Nom et prénoms du conjoint', required: true, maxLength: 200, personalData: true, condition: "field.type_acte = 'mariage'" },
        { id: 'date_deces', type: 'date', label: 'Date du décès', required: true, past: true, min: '1900-01-01', condition: "field.type_acte = 'deces'" },
        { id: 'nombre', type: 'number', mode: 'integer', label: 'Nombre d’exemplaires', required: true, min: 1, max: 5 },
      ],
    },
    {
      id: 'envoi',
      title: 'Demandeur et envoi',
      fields: [
        ...contactFields(true),
        { id: 'adresse', type: 'address', label: 'Adresse d’envoi de l’acte', required: true, personalData: true, prefill: { from: 'profile', attribute: 'address' } },
        { id: 'motif', type: 'long_text', label: 'Motif de la demande', maxLength: 500, condition: "field.qualite = 'autre'", required: true },
      ],
    },
  ],
};

export const SCHOOL_ENROLMENT_FORM = {
  schemaVersion: 1,
  title: 'Inscription scolaire',
  summaryTemplate: 'Inscription demandée par {{ field.prenom }} {{ field.nom }}',
  pages: [
    {
      id: 'responsable',
      title: 'Responsable légal',
      fields: [
        { id: 'intro', type: 'comment', label: 'Inscription en école maternelle ou élémentaire publique de Bron pour la rentrée prochaine.' },
        ...contactFields(true),
        { id: 'adresse', type: 'address', label: 'Adresse du domicile', required: true, personalData: true, prefill: { from: 'profile', attribute: 'address' } },
        { id: 'quotient', type: 'number', mode: 'integer', label: 'Quotient familial CAF', hint: 'Facultatif : il sert au calcul du tarif de la restauration scolaire.', min: 0, max: 10000, prefill: { from: 'profile', attribute: 'quotient_familial', lockedWhenCertified: true } },
      ],
    },
    {
      id: 'enfants_page',
      title: 'Enfants à inscrire',
      fields: [
        {
          id: 'enfants',
          type: 'block',
          label: 'Enfants',
          itemLabel: 'Enfant',
          required: true,
          minItems: 1,
          maxItems: 6,
          fields: [
            { id: 'prenom', type: 'text', label: 'Prénom', required: true, maxLength: 100, personalData: true },
            { id: 'nom', type: 'text', label: 'Nom', required: true, maxLength: 100, personalData: true },
            { id: 'naissance', type: 'date', label: 'Date de naissance', required: true, past: true, min: '2012-01-01' },
            { id: 'niveau', type: 'choice', label: 'Niveau à la rentrée', required: true, display: 'list', options: [
              { value: 'ps', label: 'Petite section' },
              { value: 'ms', label: 'Moyenne section' },
              { value: 'gs', label: 'Grande section' },
              { value: 'cp', label: 'CP' },
              { value: 'ce1', label: 'CE1' },
              { value: 'ce2', label: 'CE2' },
              { value: 'cm1', label: 'CM1' },
              { value: 'cm2', label: 'CM2' },
            ] },
            { id: 'ecole', type: 'choice', label: 'École souhaitée', required: true, display: 'list', hint: 'L’affectation définitive dépend de la carte scolaire.', options: [
              { value: 'jean-jaures', label: 'Groupe scolaire Jean-Jaurès' },
              { value: 'jules-ferry', label: 'Groupe scolaire Jules-Ferry' },
              { value: 'marcel-pagnol', label: 'Groupe scolaire Marcel-Pagnol' },
              { value: 'pasteur', label: 'Groupe scolaire Pasteur' },
              { value: 'sans-preference', label: 'Pas de préférence' },
            ] },
            { id: 'derogation', type: 'yes_no', label: 'Demandez-vous une dérogation au secteur scolaire ?' },
            { id: 'motif_derogation', type: 'long_text', label: 'Motif de la dérogation', required: true, maxLength: 1000, condition: 'item.derogation = true' },
            { id: 'allergies', type: 'yes_no', label: 'Allergies alimentaires ?' },
            { id: 'pai', type: 'long_text', label: 'Précisez (projet d’accueil individualisé)', required: true, maxLength: 1000, condition: 'item.allergies = true' },
          ],
        },
        { id: 'services', type: 'multiple_choice', label: 'Services périscolaires souhaités', options: [
          { value: 'cantine', label: 'Restauration scolaire' },
          { value: 'matin', label: 'Accueil du matin' },
          { value: 'soir', label: 'Accueil du soir' },
          { value: 'mercredi', label: 'Centre de loisirs du mercredi' },
        ] },
      ],
    },
    {
      id: 'pieces',
      title: 'Pièces justificatives',
      fields: [
        { id: 'justificatif', type: 'file', label: 'Justificatif de domicile de moins de 3 mois', required: true, accept: ['application/pdf', 'image/*'], maxSizeBytes: 5 * MO, maxFiles: 2 },
        { id: 'livret', type: 'file', label: 'Livret de famille (pages parents et enfants)', required: true, accept: ['application/pdf', 'image/*'], maxSizeBytes: 5 * MO, maxFiles: 4 },
        { id: 'attestation', type: 'checkbox', label: 'J’atteste l’exactitude des informations fournies.', required: true },
      ],
    },
  ],
};

export const PUBLIC_SPACE_FORM = {
  schemaVersion: 1,
  title: 'Occupation temporaire du domaine public',
  summaryTemplate: '{{ field.objet }} du {{ field.date_debut }} au {{ field.date_fin }}',
  pages: [
    {
      id: 'demandeur',
      title: 'Demandeur',
      fields: [
        { id: 'statut', type: 'choice', label: 'Vous faites cette demande', required: true, display: 'radio', options: [
          { value: 'particulier', label: 'En tant que particulier' },
          { value: 'professionnel', label: 'Pour une entreprise' },
          { value: 'association', label: 'Pour une association' },
        ] },
        { id: 'raison_sociale', type: 'text', label: 'Raison sociale', required: true, maxLength: 200, condition: "field.statut in ['professionnel', 'association']", inListings: true },
        { id: 'siret', type: 'text', format: 'siret', label: 'Numéro SIRET', hint: '14 chiffres, sur l’extrait Kbis ou l’avis de situation INSEE.', required: true, condition: "field.statut = 'professionnel'" },
        ...contactFields(true),
      ],
    },
    {
      id: 'occupation',
      title: 'L’occupation',
      fields: [
        { id: 'objet', type: 'choice', label: 'Objet de l’occupation', required: true, display: 'list', inListings: true, options: [
          { value: 'demenagement', label: 'Déménagement (stationnement d’un véhicule)' },
          { value: 'benne', label: 'Benne ou dépôt de matériaux' },
          { value: 'echafaudage', label: 'Échafaudage' },
          { value: 'terrasse', label: 'Terrasse ou étalage' },
          { value: 'evenement', label: 'Manifestation ou événement' },
        ] },
        { id: 'adresse', type: 'address', label: 'Adresse de l’occupation', required: true, withinCommunes: true },
        { id: 'date_debut', type: 'date', label: 'Date de début', required: true, future: true, allowToday: false },
        { id: 'date_fin', type: 'date', label: 'Date de fin', required: true, future: true, allowToday: false },
        { id: 'surface', type: 'number', mode: 'decimal', label: 'Surface occupée (m²)', required: true, min: 1, max: 500, step: 0.5 },
        { id: 'vehicule', type: 'text', format: 'regex', pattern: '[A-Z]{2}-[0-9]{3}-[A-Z]{2}', patternMessage: 'Immatriculation au format AB-123-CD.', label: 'Immatriculation du véhicule', required: true, condition: "field.objet = 'demenagement'" },
        { id: 'plan', type: 'file', label: 'Plan ou croquis de l’emprise', accept: ['application/pdf', 'image/*'], maxSizeBytes: 5 * MO, required: true, condition: "field.objet in ['echafaudage', 'terrasse', 'evenement']" },
        { id: 'assurance', type: 'file', label: 'Attestation d’assurance responsabilité civile', accept: ['application/pdf'], maxSizeBytes: 5 * MO, required: true, condition: "field.statut in ['professionnel', 'association']" },
      ],
    },
  ],
};

export const APPOINTMENT_FORM = {
  schemaVersion: 1,
  title: 'Demande de rendez-vous',
  summaryTemplate: 'Rendez-vous {{ field.motif }} le {{ field.date_rdv }}',
  pages: [
    {
      id: 'rendez_vous',
      title: 'Votre rendez-vous',
      fields: [
        { id: 'motif', type: 'choice', label: 'Motif du rendez-vous', required: true, display: 'list', inListings: true, options: [
          { value: 'habitat', label: 'Conseil habitat et rénovation énergétique' },
          { value: 'eau', label: 'Abonnement et facture d’eau' },
          { value: 'voirie', label: 'Travaux et voirie' },
          { value: 'social', label: 'Accompagnement social (Maison de la Métropole)' },
        ] },
        { id: 'lieu_rdv', type: 'choice', label: 'Lieu', required: true, display: 'radio', options: [
          { value: 'hotel-metropole', label: 'Hôtel de la Métropole, 20 rue du Lac, Lyon 3e' },
          { value: 'telephone', label: 'Par téléphone' },
          { value: 'visio', label: 'En visioconférence' },
        ] },
        { id: 'date_rdv', type: 'date', label: 'Date souhaitée', required: true, future: true, allowToday: false },
        { id: 'creneau', type: 'choice', label: 'Créneau', required: true, display: 'radio', options: [
          { value: 'matin', label: 'Matin (9 h – 12 h)' },
          { value: 'apres-midi', label: 'Après-midi (14 h – 17 h)' },
        ] },
        { id: 'objet', type: 'long_text', label: 'Objet de votre demande', hint: 'Quelques lignes pour préparer l’entretien.', maxLength: 1000 },
      ],
    },
    { id: 'coordonnees', title: 'Vos coordonnées', fields: contactFields(true) },
  ],
};

export const WASTE_PASS_FORM = {
  schemaVersion: 1,
  title: 'Pass déchetterie',
  summaryTemplate: 'Pass déchetterie — {{ field.nom }} ({{ field.vehicule_type }})',
  pages: [
    {
      id: 'demandeur',
      title: 'Demandeur',
      fields: [
        { id: 'intro', type: 'comment', label: 'Le pass donne accès gratuitement aux déchetteries de la Métropole aux habitants de la commune (18 passages par an).' },
        ...contactFields(true),
        { id: 'adresse', type: 'address', label: 'Adresse du domicile', required: true, withinCommunes: true, personalData: true, prefill: { from: 'profile', attribute: 'address' } },
      ],
    },
    {
      id: 'vehicule',
      title: 'Véhicule',
      fields: [
        { id: 'vehicule_type', type: 'choice', label: 'Type de véhicule', required: true, display: 'radio', options: [
          { value: 'vp', label: 'Voiture particulière' },
          { value: 'utilitaire', label: 'Utilitaire de moins de 3,5 t' },
          { value: 'remorque', label: 'Voiture avec remorque' },
        ] },
        { id: 'immatriculation', type: 'text', format: 'regex', pattern: '[A-Z]{2}-[0-9]{3}-[A-Z]{2}', patternMessage: 'Immatriculation au format AB-123-CD.', label: 'Immatriculation', required: true },
        { id: 'carte_grise', type: 'file', label: 'Certificat d’immatriculation', required: true, accept: ['application/pdf', 'image/*'], maxSizeBytes: 5 * MO },
        { id: 'justificatif', type: 'file', label: 'Justificatif de domicile de moins de 3 mois', required: true, accept: ['application/pdf', 'image/*'], maxSizeBytes: 5 * MO },
      ],
    },
  ],
};

export const ASSOCIATION_GRANT_FORM = {
  schemaVersion: 1,
  title: 'Demande de subvention association',
  summaryTemplate: '{{ field.association }} — {{ field.projet }} ({{ field.montant }} €)',
  pages: [
    {
      id: 'association_page',
      title: 'L’association',
      fields: [
        // For professionals: a person acting under a mandate chooses it (« Agir pour : … »), which fills and locks these two.
        { id: 'association', type: 'text', label: 'Nom de l’association', required: true, maxLength: 200, inListings: true, prefill: { from: 'profile', attribute: 'company.denomination', lockedWhenCertified: true } },
        { id: 'rna', type: 'text', format: 'regex', pattern: 'W[0-9]{9}', patternMessage: 'Numéro RNA au format W suivi de 9 chiffres.', label: 'Numéro RNA', hint: 'Il figure sur le récépissé de déclaration en préfecture (W123456789).', required: true },
        { id: 'siret', type: 'text', format: 'siret', label: 'Numéro SIRET', required: true, prefill: { from: 'profile', attribute: 'company.siret', lockedWhenCertified: true } },
        { id: 'siege', type: 'address', label: 'Adresse du siège', required: true },
        { id: 'representant', type: 'computed', label: 'Représentant légal', template: '{{ field.prenom }} {{ field.nom }}', personalData: true },
        ...contactFields(true),
        { id: 'qualite', type: 'choice', label: 'Qualité du signataire', required: true, display: 'list', options: [
          { value: 'president', label: 'Président ou présidente' },
          { value: 'tresorier', label: 'Trésorier ou trésorière' },
          { value: 'mandataire', label: 'Personne mandatée' },
        ] },
        { id: 'pouvoir', type: 'file', label: 'Pouvoir signé du représentant légal', required: true, accept: ['application/pdf'], maxSizeBytes: 5 * MO, condition: "field.qualite = 'mandataire'" },
      ],
    },
    {
      id: 'projet_page',
      title: 'Le projet',
      fields: [
        { id: 'projet', type: 'text', label: 'Intitulé du projet', required: true, maxLength: 200, inListings: true },
        { id: 'domaine', type: 'choice', label: 'Domaine', required: true, display: 'list', options: [
          { value: 'culture', label: 'Culture' },
          { value: 'sport', label: 'Sport' },
          { value: 'solidarite', label: 'Solidarité' },
          { value: 'environnement', label: 'Environnement' },
          { value: 'education', label: 'Éducation et jeunesse' },
        ] },
        { id: 'description', type: 'long_text', label: 'Description du projet', required: true, minLength: 50, maxLength: 5000 },
        { id: 'date_debut', type: 'date', label: 'Début du projet', required: true, min: '2026-01-01' },
        { id: 'beneficiaires', type: 'number', mode: 'integer', label: 'Nombre de bénéficiaires attendus', required: true, min: 1, max: 1000000 },
      ],
    },
    {
      id: 'budget',
      title: 'Budget',
      fields: [
        { id: 'budget_total', type: 'number', mode: 'decimal', label: 'Budget total du projet (€)', required: true, min: 0, max: 10000000, step: 0.01 },
        { id: 'montant', type: 'number', mode: 'decimal', label: 'Montant demandé à la Métropole (€)', required: true, min: 100, max: 500000, step: 0.01, inListings: true },
        { id: 'autres_financements', type: 'yes_no', label: 'D’autres financeurs publics sont-ils sollicités ?', required: true },
        { id: 'financeurs', type: 'long_text', label: 'Lesquels, et pour quels montants ?', required: true, maxLength: 2000, condition: 'field.autres_financements = true' },
        { id: 'iban', type: 'text', format: 'iban', label: 'IBAN de l’association', required: true },
        { id: 'rib', type: 'file', label: 'RIB au nom de l’association', required: true, accept: ['application/pdf', 'image/*'], maxSizeBytes: 5 * MO },
        { id: 'budget_previsionnel', type: 'file', label: 'Budget prévisionnel du projet', required: true, accept: ['application/pdf', 'application/vnd.oasis.opendocument.spreadsheet', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], maxSizeBytes: 5 * MO },
        { id: 'engagement', type: 'checkbox', label: 'Je certifie que l’association est régulièrement déclarée et à jour de ses obligations sociales et fiscales.', required: true },
      ],
    },
  ],
};

export const HELP_FORM = {
  schemaVersion: 1,
  title: 'Aide / contact',
  summaryTemplate: 'Aide : {{ field.sujet }}',
  pages: [
    {
      id: 'aide',
      title: 'Votre demande d’aide',
      fields: [
        { id: 'sujet', type: 'choice', label: 'Votre question concerne', required: true, display: 'list', inListings: true, options: [
          { value: 'compte', label: 'Mon compte ou ma connexion' },
          { value: 'demarche', label: 'Une démarche en ligne' },
          { value: 'suivi', label: 'Le suivi d’une demande' },
          { value: 'accessibilite', label: 'Un problème d’accessibilité' },
          { value: 'autre', label: 'Autre question' },
        ] },
        { id: 'code_suivi', type: 'text', format: 'regex', pattern: '[2-9A-HJKMNP-Z]{10}', patternMessage: 'Code de suivi à 10 caractères.', label: 'Code de suivi de la demande', required: true, condition: "field.sujet = 'suivi'" },
        { id: 'page', type: 'text', label: 'Page concernée', hint: 'Renseignée automatiquement depuis la page où vous avez demandé de l’aide.', maxLength: 500 },
        { id: 'demarche', type: 'text', label: 'Démarche concernée', hint: 'Renseignée automatiquement quand vous demandez de l’aide depuis une démarche.', maxLength: 300 },
        { id: 'message', type: 'long_text', label: 'Votre message', required: true, minLength: 10, maxLength: 3000 },
        { id: 'capture', type: 'file', label: 'Capture d’écran', accept: ['image/png', 'image/jpeg'], maxSizeBytes: 5 * MO },
        { id: 'email', type: 'email', label: 'Courriel pour vous répondre', required: true, prefill: { from: 'profile', attribute: 'email' }, personalData: true },
      ],
    },
  ],
};
